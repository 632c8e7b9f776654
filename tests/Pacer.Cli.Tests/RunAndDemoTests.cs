using System.Diagnostics;

namespace Pacer.Cli.Tests;

public sealed class RunAndDemoTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Run_WithoutDrain_WorksUntilStopped_ThenStopsGracefullyWithExit0()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");
        using var stop = new CancellationTokenSource();

        var run = _cli.RunAsync(stop.Token, "run");
        await using (var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database }))
            Assert.Equal(JobState.Completed, (await _cli.WaitUntilFinalAsync(store, id)).State);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Run_NewDatabase_CreatesAndMigratesIt()
    {
        var result = await _cli.RunAsync("run", "--drain");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("up to date", await _cli.OkAsync("migrate"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConfigFile_SetsEngineOptions()
    {
        var config = Path.Combine(_cli.Folder, "pacer.json");
        await File.WriteAllTextAsync(config, """{"Pacer":{"Queues":{"reports":1}}}""");
        await _cli.OkAsync("migrate");
        var report = await _cli.EnqueueAsync("noop", "--queue", "reports");
        var other = await _cli.EnqueueAsync("noop");

        await _cli.OkAsync("run", "--drain", "--config", config);

        Assert.Equal("completed", (await _cli.ShowAsync(report)).GetProperty("state").GetString());
        Assert.Equal("available", (await _cli.ShowAsync(other)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Demo_RunsThousandsOfHttpJobs_AndPrintsItsSummary()
    {
        var folder = Path.Combine(_cli.Folder, "demo");
        var clock = Stopwatch.StartNew();

        var first = await _cli.RunAsync("demo", "--dir", folder);
        var second = await _cli.RunAsync("demo", "--dir", folder);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"Two demos took {clock.Elapsed}.");
        var summary = second.Out;
        Assert.Contains("jobs:       3,000 http jobs", summary, StringComparison.Ordinal);
        Assert.Contains("completed:  3,000", summary, StringComparison.Ordinal);
        Assert.Contains("failures:   0 discarded", summary, StringComparison.Ordinal);
        Assert.Contains("attempts:   3,120 (120 retries after a 500)", summary, StringComparison.Ordinal);
        Assert.Contains("snoozed:    120 (429", summary, StringComparison.Ordinal);
        Assert.Contains("throughput:", summary, StringComparison.Ordinal);
        Assert.Contains("wall time:", summary, StringComparison.Ordinal);
        Assert.Contains($"database:   {Path.Combine(folder, "demo.db")}", summary, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', summary);

        // The previous demo's database was replaced, not added to.
        var status = await _cli.RunAsync("status", "--json", "--db", Path.Combine(folder, "demo.db"));
        Assert.Equal(3000, status.Json().GetProperty("totals").GetProperty("completed").GetInt64());
    }
}
