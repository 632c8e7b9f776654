using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using Pacer.Bench.Pacing;
using Pacer.Bench.Scenarios;
using Pacer.Bench.Systems;

namespace Pacer.Bench.Postgres;

/// <summary>
/// <c>postgres</c> (issue 6): Pacer.Postgres side by side with Hangfire.PostgreSql on one PostgreSQL server: enqueue
/// (in process), drain with 1 and 3 worker processes, enqueue-to-start latency (in process). Within a repetition the
/// systems take turns case by case, in a rotating order, as in the engine benchmark.
/// </summary>
internal static class PostgresCommand
{
    public const string Usage =
        "postgres [--quick] [--repeat N] [--scenario enqueue|drain|latency|cleaner|bulk]... [--system NAME]... [--synchronous-commit] [--markdown FILE]\n" +
        "  starts a throwaway PostgreSQL cluster (or uses PACER_TEST_PG)\n" +
        "  --synchronous-commit  commits wait for the WAL flush (PostgreSQL's default); without it the benchmark's\n" +
        "               connections set synchronous_commit = off (safe against application crashes, like SQLite's NORMAL)\n" +
        "  --quick      smoke run: small sizes, one repetition\n" +
        "  --repeat N   repetitions per case (default 3; the table shows medians)\n" +
        "  --scenario   run only these scenarios (cleaner and bulk run only when named; cleaner: Pacer only, about 3 minutes a repetition)\n" +
        "  --system     run only systems whose name contains NAME (pacer, hangfire)\n" +
        "  --markdown   also write the report as markdown to FILE";

    public static async Task<int> RunAsync(string[] args)
    {
        var size = BenchSize.Full;
        int? repeat = null;
        string? markdown = null;
        var scenarioNames = new List<string>();
        var systemNames = new List<string>();
        var synchronousCommit = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": size = BenchSize.Quick; break;
                case "--repeat" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: repeat = r; i++; break;
                case "--scenario" when i + 1 < args.Length: scenarioNames.Add(args[++i]); break;
                case "--system" when i + 1 < args.Length: systemNames.Add(args[++i]); break;
                case "--synchronous-commit": synchronousCommit = true; break;
                case "--markdown" when i + 1 < args.Length: markdown = args[++i]; break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        if (repeat is { } n)
            size = size with { Repetitions = n };

        var command = "dotnet run -c Release --project bench/Pacer.Bench -- postgres " + string.Join(' ', args);
        var machine = await EngineCommand.MachineAsync();
        var loadBefore = PacingCommand.LoadAverage();
        Console.WriteLine(command.TrimEnd());
        Console.WriteLine(machine);
        Console.WriteLine($"load average before: {loadBefore}");
        if (!EngineCommand.IsRelease())
            Console.WriteLine("warning: this is not a Release build; figures mean little (use -c Release).");

        await using var cluster = await PostgresCluster.StartAsync();
        cluster.SynchronousCommit = synchronousCommit;
        var server = $"{cluster.Description}, server {await cluster.VersionAsync()}; the benchmark's connections: synchronous_commit = {(synchronousCommit ? "on (every commit waits for its WAL flush)" : "off (a commit survives an application crash; a server or OS crash may lose the last few hundred ms of commits)")}";
        Console.WriteLine(server);
        IScenario[] allScenarios = [new EnqueueScenario(), new ProcessDrainScenario(cluster), new LatencyScenario(), new CleanerScenario(cluster), new BulkScenario()];
        IJobSystemFactory[] allSystems = [new PacerPostgresFactory(cluster), new HangfirePostgresFactory(cluster)];
        // The cleaner scenario waits for the cleaner's idle minute after each round, and bulk is an operator's action,
        // not the engine's pace: only when asked for by name.
        var scenarios = allScenarios.Where(s => scenarioNames.Count == 0 ? s.Name is not ("cleaner" or BulkScenario.ScenarioName) : scenarioNames.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
        var systems = allSystems.Where(s => systemNames.Count == 0 || systemNames.Any(n => s.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (scenarios.Length == 0 || systems.Length == 0)
        {
            Console.Error.WriteLine($"No scenario or no system matches.\n{Usage}");
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var total = Stopwatch.StartNew();
        foreach (var scenario in scenarios)
            await scenario.PrepareAsync(systems, (c, s) => MeasureAsync(c, s, cancel.Token), size);
        var names = systems.Select(s => s.Name).ToArray();
        var table = new ResultTable(names, names.Length == 2 ? [(names[0], names[1])] : []);
        var cases = scenarios.SelectMany(s => s.Cases(size)).ToArray();
        for (var rep = 0; rep < size.Repetitions; rep++)
        {
            foreach (var benchCase in cases)
            {
                for (var k = 0; k < systems.Length; k++)
                {
                    var system = systems[(k + rep) % systems.Length];
                    var figures = await MeasureAsync(benchCase, system, cancel.Token);
                    table.Add(benchCase, system.Name, figures);
                    var shown = figures.Count == 0 ? "n/a" : string.Join(", ", figures.Select(f =>
                        $"{f.Metric} {f.Value.ToString("0.##", CultureInfo.InvariantCulture)} {f.Unit}{(f.Detail is null ? "" : $" ({f.Detail})")}"));
                    Console.WriteLine($"  [{rep + 1}/{size.Repetitions}] {benchCase.Scenario} | {benchCase.Name} | {system.Name}: {shown}");
                }
            }
        }

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command.TrimEnd()}`  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Database: {server}  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Load average before {loadBefore}, after {PacingCommand.LoadAverage()}. Figures: medians of {size.Repetitions} repetition(s), {size.Name} size; the run took {total.Elapsed.TotalMinutes:0.0} min. Ratios: above 1 means Pacer did better.");
        md.AppendLine();
        md.Append(table.ToMarkdown());
        md.AppendLine();
        foreach (var system in systems)
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{system.Name}**: {system.Settings}");
        md.AppendLine();
        foreach (var scenario in scenarios)
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{scenario.Name}**: {scenario.Method(size)}");
        Console.WriteLine();
        Console.WriteLine(md.ToString());
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, md.ToString());
            Console.WriteLine($"Markdown written to {markdown}");
        }
        return 0;
    }

    private static async Task<IReadOnlyList<Figure>> MeasureAsync(BenchCase benchCase, IJobSystemFactory system, CancellationToken cancellationToken)
    {
        // Leftovers of the previous system (its threads, its garbage, its connections) should not be billed to this one.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        NpgsqlConnection.ClearAllPools();
        return await benchCase.MeasureAsync(system, "", cancellationToken);
    }
}
