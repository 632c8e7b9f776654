using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pacer.BuiltIn;
using Pacer.Cli.Demo;
using Pacer.Storage;
using Spectre.Console;

namespace Pacer.Cli.Commands;

/// <summary>
/// <c>pacer demo</c>: a few thousand <c>http</c> jobs against a local endpoint that fails some first calls, run by the
/// engine on a fresh SQLite file, with live progress and a summary read back from the store.
/// </summary>
internal static class DemoCommand
{
    private const int DefaultJobs = 3000;
    private const string DatabaseName = "demo.db";
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(120);

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var jobs = new Option<int>("--jobs") { Description = "How many http jobs to run", DefaultValueFactory = _ => DefaultJobs, HelpName = "N" };
        var dir = new Option<string>("--dir") { Description = "Folder of the demo database (its previous demo.db is deleted)", DefaultValueFactory = _ => "./pacer-demo", HelpName = "PATH" };
        var command = new Command("demo", "Run a few thousand http jobs against a local endpoint that fails some first calls, and summarise") { jobs, dir };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var count = parse.GetValue(jobs);
            if (count is < 1 or > 1_000_000)
                throw CliException.Usage($"--jobs {count} is out of range; use 1 to 1000000.");
            var directory = Path.GetFullPath(parse.GetValue(dir)!);
            var database = Path.Combine(directory, DatabaseName);
            // Configuration is checked before the previous demo is deleted; the store opens only when first used.
            var settings = (cli with { DatabasePath = database }).HostSettings() with { Options = DemoOptions };
            using var host = CliHost.Build(settings);
            Directory.CreateDirectory(directory);
            foreach (var file in new[] { database, database + "-wal", database + "-shm", database + "-journal" })
                File.Delete(file);

            await using var endpoint = await DemoEndpoint.StartAsync(cancellationToken);
            var time = host.Services.GetRequiredService<TimeProvider>();
            var store = host.Services.GetRequiredService<IJobStore>();
            var client = host.Services.GetRequiredService<IPacerClient>();

            await store.MigrateAsync(cancellationToken);
            var started = time.GetTimestamp();
            await client.EnqueueManyAsync(Requests(endpoint.BaseAddress, count), cancellationToken);
            var enqueued = time.GetElapsedTime(started);

            await host.StartAsync(cancellationToken);
            try
            {
                await WatchAsync(cli.Console, store, endpoint, count, time, cancellationToken);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
            var wall = time.GetElapsedTime(started);

            var summary = await SummariseAsync(store, count, endpoint, enqueued, wall, database, cancellationToken);
            await WriteSummaryAsync(cli.Console, summary);
            return summary.Completed == count ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>Short retry delays and fast polling so the demo finishes in seconds; the engine is otherwise as shipped.</summary>
    private static void DemoOptions(PacerOptions options)
    {
        options.Concurrency = 64;
        options.PollInterval = TimeSpan.FromMilliseconds(100);
        options.MaintenanceInterval = TimeSpan.FromMilliseconds(100);
        options.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500) };
        options.ShutdownTimeout = TimeSpan.FromSeconds(5);
    }

    private static EnqueueRequest[] Requests(Uri endpoint, int count)
    {
        var requests = new EnqueueRequest[count];
        for (var order = 1; order <= count; order++)
        {
            var args = new HttpJobArgs
            {
                Method = "POST",
                Url = new Uri(endpoint, $"/orders/{order}").ToString(),
                Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" },
                Body = $$"""{"order":{{order}}}""",
            };
            requests[order - 1] = new EnqueueRequest(BuiltInJobKinds.Http, JsonSerializer.Serialize(args, JsonSerializerOptions.Web),
                new EnqueueOptions { Tags = ["demo"] });
        }
        return requests;
    }

    /// <summary>Shows progress until every job is final (not just "drained": snoozed and retrying jobs wait in the future).</summary>
    private static async Task WatchAsync(CliConsole console, IJobStore store, DemoEndpoint endpoint, int count, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + GiveUpAfter;
        if (console.IsRich)
        {
            await console.Ansi.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("http jobs", maxValue: count);
                    while (true)
                    {
                        var counts = await CountAsync(store, time, cancellationToken);
                        task.Value = counts.Final;
                        task.Description = $"http jobs: {Output.Number(counts.Final)}/{Output.Number(count)} done, {Output.Number(counts.Waiting)} waiting to retry, {Output.Number(endpoint.Requests)} calls";
                        if (await DoneAsync(counts))
                            break;
                    }
                });
            return;
        }

        var nextLine = time.GetUtcNow();
        while (true)
        {
            var counts = await CountAsync(store, time, cancellationToken);
            var done = counts.Final >= count;
            if (done || time.GetUtcNow() >= nextLine)
            {
                await console.Out.WriteLineAsync($"demo: {counts.Final}/{count} done, {counts.Running} running, {counts.Waiting} waiting to retry, {endpoint.Requests} calls");
                nextLine = time.GetUtcNow() + TimeSpan.FromSeconds(1);
            }
            if (await DoneAsync(counts))
                break;
        }

        async Task<bool> DoneAsync(Counts counts)
        {
            if (counts.Final >= count)
                return true;
            if (time.GetUtcNow() > deadline)
                throw CliException.Failure($"The demo did not finish within {GiveUpAfter.TotalSeconds:0} s ({counts.Final} of {count} jobs done). Inspect it with 'pacer status --db {DatabaseName}' in its folder.");
            await Task.Delay(Refresh, time, cancellationToken);
            return false;
        }
    }

    private readonly record struct Counts(long Final, long Running, long Waiting);

    private static async Task<Counts> CountAsync(IJobStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var stats = await store.GetStatsAsync(time.GetUtcNow(), cancellationToken);
        long Sum(params JobState[] states) => stats.Queues.Sum(q => states.Sum(s => q.Counts.GetValueOrDefault(s)));
        return new Counts(
            Sum(JobState.Completed, JobState.Discarded, JobState.Cancelled),
            Sum(JobState.Running),
            Sum(JobState.Retryable, JobState.Scheduled));
    }

    private sealed record Summary(int Jobs, long Completed, long Discarded, long Attempts, long Retries, long Snoozed, long Requests,
        TimeSpan Enqueue, TimeSpan Wall, string Database);

    /// <summary>The numbers come from the store (what happened to each job) and the endpoint (what it was asked).</summary>
    private static async Task<Summary> SummariseAsync(IJobStore store, int count, DemoEndpoint endpoint, TimeSpan enqueue, TimeSpan wall, string database, CancellationToken cancellationToken)
    {
        long completed = 0, discarded = 0, attempts = 0, retries = 0;
        long? before = null;
        while (true)
        {
            var page = await store.ListAsync(new JobQuery { BeforeId = before, Limit = 1000 }, cancellationToken);
            foreach (var job in page)
            {
                completed += job.State == JobState.Completed ? 1 : 0;
                discarded += job.State == JobState.Discarded ? 1 : 0;
                attempts += job.Attempt;
                // Every failed attempt leaves an error; all but a discarded job's last one were followed by a retry.
                retries += job.Errors.Count - (job.State == JobState.Discarded ? 1 : 0);
            }
            if (page.Count < 1000)
                break;
            before = page[^1].Id;
        }
        return new Summary(count, completed, discarded, attempts, retries, endpoint.RateLimited, endpoint.Requests, enqueue, wall, database);
    }

    private static async Task WriteSummaryAsync(CliConsole console, Summary s)
    {
        var seconds = s.Wall.TotalSeconds;
        (string Label, string Value)[] lines =
        [
            ("jobs", $"{Output.Number(s.Jobs)} http jobs, enqueued in one batch in {s.Enqueue.TotalMilliseconds:0} ms"),
            ("completed", Output.Number(s.Completed)),
            ("failures", $"{Output.Number(s.Discarded)} discarded"),
            ("attempts", $"{Output.Number(s.Attempts)} ({Output.Number(s.Retries)} retries after a 500)"),
            ("snoozed", $"{Output.Number(s.Snoozed)} (429 with Retry-After: 1; waited as asked, no attempt used)"),
            ("calls", $"{Output.Number(s.Requests)} answered by the local endpoint"),
            ("throughput", $"{(s.Completed / Math.Max(seconds, 0.001)).ToString("N0", CultureInfo.InvariantCulture)} jobs/s"),
            ("wall time", $"{seconds.ToString("0.00", CultureInfo.InvariantCulture)} s"),
            ("database", s.Database),
        ];
        if (console.IsRich)
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var (label, value) in lines)
                grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(value));
            console.Ansi.Write(new Panel(grid).Header("Pacer demo").RoundedBorder());
            console.Ansi.MarkupLine($"Look inside: [bold]pacer jobs list --db {Markup.Escape(s.Database)}[/]");
            return;
        }
        await console.Out.WriteLineAsync("Pacer demo summary");
        foreach (var (label, value) in lines)
            await console.Out.WriteLineAsync($"  {(label + ":").PadRight(12)}{value}");
        await console.Out.WriteLineAsync($"Look inside: pacer jobs list --db {s.Database}");
    }
}
