using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Pacer.Bench.Systems;

namespace Pacer.Bench.Scenarios;

/// <summary>
/// <c>engine</c>: runs every case on every system in one process and prints the table. Within a repetition the systems
/// take turns (in a rotating order) case by case, so noise from a shared machine lands on all of them alike.
/// </summary>
internal static class EngineCommand
{
    private static readonly IScenario[] AllScenarios = [new EnqueueScenario(), new DrainScenario(), new LatencyScenario(), new BulkScenario()];

    private static readonly IJobSystemFactory[] AllSystems =
        [new PacerSqliteFactory(), new PacerSqliteFactory(SqliteSynchronous.Full), HangfireFactory.InMemory, HangfireFactory.Sqlite];

    /// <summary>The ratios the table shows: Pacer against each peer, and each at the same durability.</summary>
    private static readonly (string Ours, string Theirs)[] Comparisons =
    [
        ("Pacer SQLite", "Hangfire InMemory"),
        ("Pacer SQLite", "Hangfire SQLite"),
        ("Pacer SQLite Full", "Hangfire SQLite"),
    ];

    public const string Usage =
        "engine [--quick] [--repeat N] [--scenario enqueue|drain|latency|bulk]... [--system NAME]... [--markdown FILE]\n" +
        "  --quick      smoke run: small sizes, one repetition\n" +
        "  --repeat N   repetitions per case (default 3; the table shows medians)\n" +
        "  --scenario   run only these scenarios (bulk runs only when named)\n" +
        "  --system     run only systems whose name contains NAME (pacer, full, inmemory, hangfire sqlite)\n" +
        "  --markdown   also write the report as markdown to FILE";

    public static async Task<int> RunAsync(string[] args)
    {
        var size = BenchSize.Full;
        int? repeat = null;
        string? markdown = null;
        var scenarioNames = new List<string>();
        var systemNames = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": size = BenchSize.Quick; break;
                case "--repeat" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: repeat = r; i++; break;
                case "--scenario" when i + 1 < args.Length: scenarioNames.Add(args[++i]); break;
                case "--system" when i + 1 < args.Length: systemNames.Add(args[++i]); break;
                case "--markdown" when i + 1 < args.Length: markdown = args[++i]; break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        if (repeat is { } n)
            size = size with { Repetitions = n };
        var scenarios = AllScenarios.Where(s => scenarioNames.Count == 0
            ? s.Name != BulkScenario.ScenarioName
            : scenarioNames.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToArray();
        var systems = AllSystems.Where(s => systemNames.Count == 0 || systemNames.Any(n => s.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToArray();
        if (scenarios.Length == 0 || systems.Length == 0)
        {
            Console.Error.WriteLine($"No scenario or no system matches.\n{Usage}");
            return 2;
        }

        var command = "dotnet run -c Release --project bench/Pacer.Bench -- engine " + string.Join(' ', args);
        var machine = await MachineAsync();
        Console.WriteLine(command.TrimEnd());
        Console.WriteLine(machine);
        if (!IsRelease())
            Console.WriteLine("warning: this is not a Release build; figures mean little (use -c Release).");

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var root = Directory.CreateTempSubdirectory("pacer-bench-");
        var total = Stopwatch.StartNew();
        try
        {
            foreach (var scenario in scenarios)
                await scenario.PrepareAsync(systems, (c, s) => MeasureAsync(c, s, root.FullName, cancel.Token), size);
            var names = systems.Select(s => s.Name).ToArray();
            var table = new ResultTable(names, [.. Comparisons.Where(c => names.Contains(c.Ours) && names.Contains(c.Theirs))]);
            var cases = scenarios.SelectMany(s => s.Cases(size)).ToArray();
            for (var rep = 0; rep < size.Repetitions; rep++)
            {
                foreach (var benchCase in cases)
                {
                    for (var k = 0; k < systems.Length; k++)
                    {
                        var system = systems[(k + rep) % systems.Length];
                        var figures = await MeasureAsync(benchCase, system, root.FullName, cancel.Token);
                        table.Add(benchCase, system.Name, figures);
                        var shown = figures.Count == 0 ? "n/a" : string.Join(", ", figures.Select(f =>
                            $"{f.Metric} {f.Value.ToString("0.##", CultureInfo.InvariantCulture)} {f.Unit}{(f.Detail is null ? "" : $" ({f.Detail})")}"));
                        Console.WriteLine($"  [{rep + 1}/{size.Repetitions}] {benchCase.Scenario} | {benchCase.Name} | {system.Name}: {shown}");
                    }
                }
            }

            var minutes = total.Elapsed.TotalMinutes;
            Console.WriteLine();
            Console.WriteLine($"Medians of {size.Repetitions} repetition(s), {size.Name} size, {minutes:0.0} min in all. Ratios: above 1 means Pacer did better.");
            Console.WriteLine(table.ToText());
            if (markdown is not null)
            {
                await File.WriteAllTextAsync(markdown, Report(command, machine, size, scenarios, systems, table, minutes));
                Console.WriteLine($"Markdown written to {markdown}");
            }
            return 0;
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<IReadOnlyList<Figure>> MeasureAsync(BenchCase benchCase, IJobSystemFactory system, string root, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, Guid.NewGuid().ToString("N")));
        try
        {
            // Leftovers of the previous system (its threads, its garbage) should not be billed to this one.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return await benchCase.MeasureAsync(system, directory.FullName, cancellationToken);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    internal static async Task<string> MachineAsync()
    {
        // What "1 ms" is here: Task.Delay rounds up to the timer's resolution, which differs between machines.
        var delays = new double[100];
        for (var i = 0; i < delays.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await Task.Delay(1);
            delays[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(delays);

        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var version = connection.CreateCommand();
        version.CommandText = "SELECT sqlite_version()";
        return $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, SQLite {version.ExecuteScalar()}, Task.Delay(1) takes {delays[delays.Length / 2]:0.00} ms (median)";
    }

    internal static bool IsRelease() =>
        typeof(EngineCommand).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is not [DebuggableAttribute { IsJITOptimizerDisabled: true }];

    private static string Report(string command, string machine, BenchSize size, IScenario[] scenarios, IJobSystemFactory[] systems, ResultTable table, double minutes)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command.TrimEnd()}`  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Figures: medians of {size.Repetitions} repetition(s), {size.Name} size; the run took {minutes:0.0} min. Ratios: above 1 means Pacer did better.");
        md.AppendLine();
        md.Append(table.ToMarkdown());
        md.AppendLine();
        md.AppendLine("Systems:");
        md.AppendLine();
        foreach (var system in systems)
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{system.Name}**: {system.Settings}");
        md.AppendLine();
        md.AppendLine("Scenarios:");
        md.AppendLine();
        foreach (var scenario in scenarios)
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{scenario.Name}**: {scenario.Method(size)}");
        return md.ToString();
    }
}
