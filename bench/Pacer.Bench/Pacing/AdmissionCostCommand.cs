using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pacer.Bench.Scenarios;
using Pacer.Bench.Systems;
using Pacer.Storage;

namespace Pacer.Bench.Pacing;

/// <summary>
/// <c>admission</c> (issue 4): what resource-aware admission costs the dispatcher. The same 10,000 no-op jobs are drained
/// with no resources at all, and with each job claiming one of 1,000 partitions of a template resource whose limit is
/// high enough never to hold a job back, so the difference is the admission work itself.
/// </summary>
internal static class AdmissionCostCommand
{
    private const int Partitions = 1_000;
    private static readonly int[] WorkerCounts = [10, 50];
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>How the jobs claim resources in one column of the table.</summary>
    internal sealed record Setup(string Name, string Settings, Action<ResourceOptions>? Resource);

    private static readonly Setup[] AllSetups =
    [
        new("no resources", "No resource configured: the producer fetches with one statement, without admission.", null),
        new("1,000 partitions, Concurrency 1",
            $"Template `account-{{Account}}` with Concurrency = 1; each job claims `account-(id mod {Partitions})`. Partitions limited by concurrency alone keep no row: admission reads the running jobs' claims, and each completion releases its permit (and looks for waiters).",
            r => r.Concurrency = 1),
        new("1,000 partitions, Rate 100/s",
            $"Template `account-{{Account}}` with Rate = 100/s (Burst 1); each job claims `account-(id mod {Partitions})`. Every admission advances its partition's rate state, which is written to the store in the fetch transaction (1,000 rows).",
            r => r.Rate = "100/s"),
    ];

    public const string Usage =
        "admission [--quick] [--repeat N] [--jobs N] [--workers N] [--setup NAME]... [--markdown FILE]\n" +
        "  --quick      smoke run: 2,000 jobs, one repetition\n" +
        "  --repeat N   repetitions per case (default 3; the table shows medians)\n" +
        "  --jobs N     jobs per drain (default 10,000)\n" +
        "  --workers N  run only this worker count (10 or 50; default both)\n" +
        "  --setup      run only setups whose name contains NAME (no resources, concurrency, rate)\n" +
        "  --markdown   also write the report as markdown to FILE";

    public static async Task<int> RunAsync(string[] args)
    {
        var repeat = 3;
        var jobs = 10_000;
        string? markdown = null;
        var workerCounts = WorkerCounts;
        var setupNames = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": repeat = 1; jobs = 2_000; break;
                case "--repeat" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: repeat = r; i++; break;
                case "--jobs" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var j) && j > 0: jobs = j; i++; break;
                case "--workers" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var w) && w > 0: workerCounts = [w]; i++; break;
                case "--setup" when i + 1 < args.Length: setupNames.Add(args[++i]); break;
                case "--markdown" when i + 1 < args.Length: markdown = args[++i]; break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }

        var command = "dotnet run -c Release --project bench/Pacer.Bench -- admission " + string.Join(' ', args);
        var machine = await EngineCommand.MachineAsync();
        var loadBefore = PacingCommand.LoadAverage();
        Console.WriteLine(command.TrimEnd());
        Console.WriteLine(machine);
        Console.WriteLine($"load average before: {loadBefore}");
        if (!EngineCommand.IsRelease())
            Console.WriteLine("warning: this is not a Release build; figures mean little (use -c Release).");

        var setups = AllSetups.Where(s => setupNames.Count == 0 || setupNames.Any(n => s.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (setups.Length == 0)
        {
            Console.Error.WriteLine($"No setup matches.\n{Usage}");
            return 2;
        }
        var names = setups.Select(s => s.Name).ToArray();
        var table = new ResultTable(names, [.. setups.Where(s => s != AllSetups[0] && setups.Contains(AllSetups[0])).Select(s => (AllSetups[0].Name, s.Name))]);
        var root = Directory.CreateTempSubdirectory("pacer-bench-admission-");
        var total = Stopwatch.StartNew();
        try
        {
            // Untimed: JIT and SQLite's first pages for every setup.
            foreach (var setup in setups)
                await MeasureAsync(setup, workerCounts[0], Math.Min(jobs, 1_000), root.FullName);
            for (var rep = 0; rep < repeat; rep++)
            {
                foreach (var workers in workerCounts)
                {
                    var benchCase = new BenchCase("admission", $"{jobs:N0} no-op jobs, {workers} workers", (_, _, _) => throw new NotSupportedException());
                    for (var k = 0; k < setups.Length; k++)
                    {
                        var setup = setups[(k + rep) % setups.Length];
                        var elapsed = await MeasureAsync(setup, workers, jobs, root.FullName);
                        var rate = jobs / elapsed.TotalSeconds;
                        table.Add(benchCase, setup.Name, [new Figure("drain", rate, "jobs/s", Better.Higher)]);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  [{rep + 1}/{repeat}] {benchCase.Name} | {setup.Name}: {rate:N0} jobs/s ({elapsed.TotalSeconds:0.00} s)"));
                    }
                }
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command.TrimEnd()}`  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Load average before {loadBefore}, after {PacingCommand.LoadAverage()}. Medians of {repeat} repetition(s); the run took {total.Elapsed.TotalMinutes:0.0} min. Ratios: no resources / with partitions (the slowdown; below 2 meets the goal).");
        md.AppendLine();
        md.Append(table.ToMarkdown());
        md.AppendLine();
        foreach (var setup in setups)
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{setup.Name}**: {setup.Settings}");
        md.AppendLine();
        md.AppendLine("Pacer on SQLite with its defaults (WAL, Synchronous Normal), Concurrency = workers, other options default. Jobs enqueued first " +
                      "(EnqueueManyAsync, 1,000 per call, untimed), then the engine started; timed until the job bodies' own counter reaches the total; afterwards the store must record every job as completed.");
        Console.WriteLine();
        Console.WriteLine(md.ToString());
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, md.ToString());
            Console.WriteLine($"Markdown written to {markdown}");
        }
        return 0;
    }

    private static async Task<TimeSpan> MeasureAsync(Setup setup, int workers, int jobs, string root)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, Guid.NewGuid().ToString("N")));
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return await DrainAsync(setup, workers, jobs, directory.FullName);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static async Task<TimeSpan> DrainAsync(Setup setup, int workers, int jobs, string directory)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddPacer(pacer =>
        {
            pacer.UseSqlite(Path.Combine(directory, "pacer.db"))
                .Configure(options => options.Concurrency = workers);
            if (setup.Resource is { } configure)
            {
                pacer.AddResource("account-{Account}", configure);
                pacer.AddJob<AccountHandler, AccountArgs>("bench.account", kind => kind.Claims.Add(new ResourceClaim("account-{Account}")));
            }
            else
            {
                pacer.AddJob<AccountHandler, AccountArgs>("bench.account");
            }
        });
        using var host = builder.Build();
        await host.Services.GetRequiredService<IJobStore>().MigrateAsync(CancellationToken.None);
        var client = host.Services.GetRequiredService<IPacerClient>();
        const int fillBatch = 1_000;
        for (var done = 0; done < jobs; done += fillBatch)
        {
            await client.EnqueueManyAsync([.. Enumerable.Range(done, Math.Min(fillBatch, jobs - done)).Select(i =>
                new EnqueueRequest("bench.account", $$"""{"account":{{i % Partitions}}}"""))]);
        }

        var allDone = JobBodies.ExpectDone(jobs);
        var clock = Stopwatch.StartNew();
        await host.StartAsync();
        await allDone.WaitAsync(Patience);
        var elapsed = clock.Elapsed;

        using var patience = new CancellationTokenSource(Patience);
        await host.Services.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(patience.Token);
        var stats = await host.Services.GetRequiredService<IJobStore>().GetStatsAsync(DateTimeOffset.MinValue, patience.Token);
        var completed = stats.Queues.Sum(q => q.Counts[JobState.Completed]);
        await host.StopAsync(CancellationToken.None);
        if (completed != jobs || JobBodies.Done != jobs)
            throw new InvalidOperationException($"{setup.Name}: {jobs} jobs enqueued, {JobBodies.Done} bodies ran, {completed} recorded as completed.");
        return elapsed;
    }

    public sealed record AccountArgs(int Account);

    public sealed class AccountHandler : IJobHandler<AccountArgs>
    {
        public Task HandleAsync(AccountArgs args, JobContext context)
        {
            JobBodies.Noop(0);
            return Task.CompletedTask;
        }
    }
}
