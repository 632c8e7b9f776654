using System.Text.Json;
using Microsoft.Extensions.Logging;
using Pacer.Testing;
using Pacer.Tests.BuiltIn;

namespace Pacer.Cli.Tests;

/// <summary><c>pacer run --config FILE</c> follows the file while it runs: its resources change with it, and a bad edit is said and ignored.</summary>
public sealed class ConfigReloadTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Run_ARaisedRateInTheFile_StartsTheJobTheOldRateParked_ABadEditIsLoggedAndChangesNothing()
    {
        var config = Path.Combine(_cli.Folder, "pacer.json");
        await RaiseTheRateAsync(
            config,
            write: json => File.WriteAllTextAsync(config, json),
            afterwards: async logs =>
            {
                await File.WriteAllTextAsync(config, """{"Pacer":{"Resources":""");
                await WaitForAsync(() => Task.FromResult(logs.Lines.Any(l => l.StartsWith("Error Pacer.Configuration", StringComparison.Ordinal)
                    && l.Contains("could not be read after a change", StringComparison.Ordinal))), "the bad edit to be logged");
            });
    }

    [Fact]
    public async Task Run_AConfigFileBehindALink_FollowsTheLinkSwapsOfAKubernetesVolume()
    {
        // A ConfigMap volume: pacer.json -> ..data/pacer.json, ..data -> ..v1. An update writes a new folder and moves
        // ..data to it; the file itself is never written, so its change events never come.
        var volume = Path.Combine(_cli.Folder, "volume");
        var version = 0;
        async Task Publish(string json)
        {
            var folder = $"..v{++version}";
            Directory.CreateDirectory(Path.Combine(volume, folder));
            await File.WriteAllTextAsync(Path.Combine(volume, folder, "pacer.json"), json);
            var data = Path.Combine(volume, "..data");
            if (version > 1)
                File.Delete(data);
            Directory.CreateSymbolicLink(data, folder);
        }
        var config = Path.Combine(volume, "pacer.json");
        await RaiseTheRateAsync(
            config,
            async json =>
            {
                await Publish(json);
                if (version == 1)
                    File.CreateSymbolicLink(config, Path.Combine("..data", "pacer.json"));
            },
            afterwards: logs =>
            {
                Assert.Contains(logs.Lines, l => l.Contains("(a link: looked at every 4 s): changes to Pacer:Resources apply", StringComparison.Ordinal));
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// A worker runs one job of two under 1/h, the second waits; the file then says 100/s, and the second runs without
    /// the hour passing. <paramref name="write"/> puts a configuration in the file the worker follows.
    /// </summary>
    private async Task RaiseTheRateAsync(string config, Func<string, Task> write, Func<LogCapture, Task>? afterwards = null)
    {
        await using var server = await TestHttpServer.StartAsync(204);
        var hosts = $"{server.BaseAddress.Host}:{server.BaseAddress.Port}";
        string Config(string rate) => JsonSerializer.Serialize(new { Pacer = new { Resources = new { hooks = new { Rate = rate, Hosts = new[] { hosts } } } } });
        await write(Config("1/h"));
        await _cli.OkAsync("migrate");
        var args = JsonSerializer.Serialize(new { url = server.Url("/hook") });
        var first = await _cli.EnqueueAsync("http", "--args", args, "--config", config);
        var second = await _cli.EnqueueAsync("http", "--args", args, "--config", config);
        var logs = new LogCapture();
        var overrides = new CliOverrides
        {
            Logging = l =>
            {
                l.ClearProviders();
                l.AddProvider(logs);
            },
            Options = CliRun.FastEngine,
        };
        using var stop = new CancellationTokenSource();
        var run = _cli.RunAsync(overrides, ["run", "--config", config], stop.Token);
        await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database });

        Assert.Equal(JobState.Completed, (await _cli.WaitUntilFinalAsync(store, first)).State);
        await WaitForAsync(async () => (await store.GetAsync(second, CancellationToken.None))!.State == JobState.Waiting, "the second job to wait for the rate");

        await write(Config("100/s"));
        Assert.Equal(JobState.Completed, (await _cli.WaitUntilFinalAsync(store, second)).State);
        Assert.Contains(logs.Lines, l => l.Contains("Resource hooks reloaded from configuration: Rate 1/h", StringComparison.Ordinal));
        if (afterwards is not null)
            await afterwards(logs);
        Assert.False(run.IsCompleted, "the worker stopped while following its file");

        await stop.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, server.Requests.Count);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Gave up waiting for {what}.");
            await Task.Delay(20);
        }
    }
}
