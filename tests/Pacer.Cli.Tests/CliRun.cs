using System.Text.Json;
using Microsoft.Extensions.Logging;
using Pacer.Storage;

namespace Pacer.Cli.Tests;

/// <summary>The outcome of one in-process <c>pacer</c> command line.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public JsonElement Json() => JsonDocument.Parse(Out).RootElement;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>pacer</c> commands in this process against one temporary database, capturing stdout and stderr.</summary>
internal sealed class CliRun : IDisposable
{
    public CliRun()
    {
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "pacer-cli-tests", Guid.NewGuid().ToString("N"));

    public string Database => Path.Combine(Folder, "pacer.db");

    /// <summary>Engine options for tests: quick polling and retries, so drains and retries take milliseconds.</summary>
    public static void FastEngine(PacerOptions options)
    {
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        options.MaintenanceInterval = TimeSpan.FromMilliseconds(50);
        options.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), UseJitter = false };
        options.ShutdownTimeout = TimeSpan.FromSeconds(5);
    }

    public static readonly CliOverrides Quiet = new()
    {
        Logging = logging => logging.ClearProviders(),
        Options = FastEngine,
    };

    /// <summary>
    /// Runs a command line with <c>--db</c> pointing at this test's database (unless it names one, or is a demo, which
    /// keeps its own and refuses <c>--db</c>).
    /// </summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public Task<CliResult> RunAsync(CancellationToken cancellationToken, params string[] args) => RunAsync(Quiet, args, cancellationToken);

    /// <summary>Runs a command line with other overrides than <see cref="Quiet"/> (extra handlers, a clock).</summary>
    public async Task<CliResult> RunAsync(CliOverrides overrides, string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var withDb = args.Contains("--db") || args.Contains("--version") || args.Contains("demo") ? args : [.. args, "--db", Database];
        var exit = await PacerCli.RunAsync(withDb, CliConsole.ForWriters(output, error), overrides, cancellationToken);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    /// <summary>Starts a command line whose output the test reads while it runs (an address it prints and waits on).</summary>
    public (Task<CliResult> Result, Func<string> OutputSoFar) Start(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var shared = TextWriter.Synchronized(output); // writes lock the wrapper; reads below take the same lock
        var error = new StringWriter();
        var result = Task.Run(async () =>
        {
            var exit = await PacerCli.RunAsync([.. args, "--db", Database], CliConsole.ForWriters(shared, error), Quiet, cancellationToken);
            return new CliResult(exit, OutputSoFar(), error.ToString());
        }, cancellationToken);
        string OutputSoFar()
        {
            lock (shared)
                return output.ToString();
        }
        return (result, OutputSoFar);
    }

    /// <summary>Runs a command that must succeed, and returns its stdout.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Out;
    }

    public async Task<long> EnqueueAsync(params string[] args)
    {
        var result = await RunAsync(["enqueue", .. args, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json().GetProperty("id").GetInt64();
    }

    public async Task<JsonElement> ShowAsync(long id)
    {
        var result = await RunAsync("jobs", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json();
    }

    /// <summary>Everything stored (jobs, resource states, queue flags), read straight from the store, not through the CLI under test.</summary>
    public async Task<string> SnapshotAsync()
    {
        if (!File.Exists(Database))
            return "(no database)";
        await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = Database });
        var jobs = await store.ListAsync(new JobQuery { Limit = 10_000 }, CancellationToken.None);
        var resources = await store.ListResourcesAsync(CancellationToken.None);
        var queues = await store.ListQueueStatesAsync(CancellationToken.None);
        return JsonSerializer.Serialize(new { jobs, resources, queues });
    }

    /// <summary>Writes an appsettings-style file into this test's folder and returns its path (for <c>--config</c>).</summary>
    public async Task<string> ConfigAsync(string json, string name = "pacer.json")
    {
        var path = Path.Combine(Folder, name);
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    /// <summary>Polls the store until the job is in a final state (bounded; the engine gives no signal across processes).</summary>
    public async Task<JobRecord> WaitUntilFinalAsync(IJobStore store, long id, TimeSpan? within = null)
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var job = await store.GetAsync(id, CancellationToken.None) ?? throw new InvalidOperationException($"Job {id} vanished.");
            if (job.State.IsFinal())
                return job;
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Job {id} is still {job.State} after {within ?? TimeSpan.FromSeconds(15)}.");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; failing a test that passed for it would not be.
        }
    }
}
