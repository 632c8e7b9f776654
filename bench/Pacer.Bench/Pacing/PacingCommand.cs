using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Pacer.Bench.Scenarios;

namespace Pacer.Bench.Pacing;

/// <summary>
/// <c>pacing</c> (issue 4): how close each engine comes to a server's rate limit without going over it. One server, one
/// process; for each case the systems take turns (in a rotating order per repetition) against the same server.
/// </summary>
internal static class PacingCommand
{
    private static readonly int[] Limits = [10, 100, 1_000];
    private static readonly int[] SlotsPerPermit = [1, 4];

    private static readonly IPacingSystem[] AllSystems = [new PacerPacingSystem(wideBurst: false), new PacerPacingSystem(wideBurst: true), new HangfirePollyPacingSystem()];

    public const string Usage =
        "pacing [--quick] [--repeat N] [--limit N]... [--system NAME]... [--patience SECONDS] [--markdown FILE]\n" +
        "  --quick      smoke run: fewer calls per case\n" +
        "  --repeat N   repetitions (default 1; each is a row)\n" +
        "  --limit N    run only these limits (10, 100, 1000)\n" +
        "  --system     run only systems whose name contains NAME (pacer, burst 1, n/20, hangfire)\n" +
        "  --patience   give up a case after this many seconds (default 240: Hangfire retries after 15 s to minutes)\n" +
        "  --markdown   also write the report as markdown to FILE";

    /// <summary>Calls per case: each lasts a few seconds at the limit (50 at 10/s, 500 at 100/s, 3,000 at 1,000/s).</summary>
    private static int CallsFor(int limit, bool quick) => limit switch
    {
        <= 10 => quick ? 20 : 50,
        <= 100 => quick ? 100 : 500,
        _ => quick ? 600 : 3_000,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = false;
        var repeat = 1;
        var patience = TimeSpan.FromSeconds(240);
        string? markdown = null;
        var limits = new List<int>();
        var systemNames = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--repeat" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: repeat = r; i++; break;
                case "--limit" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var l) && l > 0: limits.Add(l); i++; break;
                case "--system" when i + 1 < args.Length: systemNames.Add(args[++i]); break;
                case "--patience" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var p) && p > 0: patience = TimeSpan.FromSeconds(p); i++; break;
                case "--markdown" when i + 1 < args.Length: markdown = args[++i]; break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        var systems = AllSystems.Where(s => systemNames.Count == 0 || systemNames.Any(n => s.Name.Contains(n, StringComparison.OrdinalIgnoreCase))).ToArray();
        var cases = (limits.Count == 0 ? Limits : [.. limits])
            .SelectMany(limit => SlotsPerPermit.Select(k => new PacingCase(limit, k, CallsFor(limit, quick))))
            .ToArray();
        if (systems.Length == 0)
        {
            Console.Error.WriteLine($"No system matches.\n{Usage}");
            return 2;
        }

        var command = "dotnet run -c Release --project bench/Pacer.Bench -- pacing " + string.Join(' ', args);
        var machine = await EngineCommand.MachineAsync();
        var loadBefore = LoadAverage();
        Console.WriteLine(command.TrimEnd());
        Console.WriteLine(machine);
        Console.WriteLine($"load average before: {loadBefore}");
        if (!EngineCommand.IsRelease())
            Console.WriteLine("warning: this is not a Release build; figures mean little (use -c Release).");

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var root = Directory.CreateTempSubdirectory("pacer-bench-pacing-");
        var total = Stopwatch.StartNew();
        var rows = new List<(int Rep, PacingCase Case, IPacingSystem System, PacingOutcome Outcome)>();
        await using var server = await RateLimitedServer.StartAsync();
        try
        {
            await WarmUpAsync(server, systems, root.FullName, cancel.Token);
            for (var rep = 0; rep < repeat; rep++)
            {
                foreach (var pacingCase in cases)
                {
                    var turn = systems.Where(s => s.Runs(pacingCase)).ToArray();
                    for (var k = 0; k < turn.Length; k++)
                    {
                        var system = turn[(k + rep) % turn.Length];
                        var outcome = await MeasureAsync(system, pacingCase, server, root.FullName, patience, cancel.Token);
                        rows.Add((rep + 1, pacingCase, system, outcome));
                        Console.WriteLine($"  [{rep + 1}/{repeat}] {pacingCase.Name} | {system.Name}: {Describe(pacingCase, outcome)}");
                    }
                }
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }

        var loadAfter = LoadAverage();
        var report = Report(command, machine, loadBefore, loadAfter, systems, rows, total.Elapsed, patience);
        Console.WriteLine();
        Console.WriteLine(report);
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, report);
            Console.WriteLine($"Markdown written to {markdown}");
        }
        return 0;
    }

    /// <summary>Untimed: JIT, connections and the server's first requests, for every system, so the first case is not billed for them.</summary>
    private static async Task WarmUpAsync(RateLimitedServer server, IPacingSystem[] systems, string root, CancellationToken cancellationToken)
    {
        using (var http = new HttpClient())
        {
            for (var i = 0; i < 5; i++)
                (await http.GetAsync(server.Url("/warm-up"), cancellationToken)).EnsureSuccessStatusCode();
        }
        var warmUp = new PacingCase(100, 1, 20);
        foreach (var system in systems)
            await MeasureAsync(system, warmUp, server, root, TimeSpan.FromSeconds(120), cancellationToken);
    }

    private static async Task<PacingOutcome> MeasureAsync(
        IPacingSystem system, PacingCase pacingCase, RateLimitedServer server, string root, TimeSpan patience, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, Guid.NewGuid().ToString("N")));
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return await system.RunAsync(pacingCase, server, directory.FullName, patience, cancellationToken);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static string Describe(PacingCase pacingCase, PacingOutcome o) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{o.Accepted}/{pacingCase.Calls} accepted{(o.Finished ? "" : " (gave up)")}, {o.Violations} violations, {o.LimiterRejections} limiter rejections, " +
            $"{o.Wasted} wasted attempts, {o.Rate:0.0}/s = {o.Rate / pacingCase.Limit:0.000} of the limit, wall {o.Wall.TotalSeconds:0.00} s, mean job {o.MeanJob.TotalMilliseconds:0.0} ms");

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Report(
        string command, string machine, string loadBefore, string loadAfter, IPacingSystem[] systems,
        List<(int Rep, PacingCase Case, IPacingSystem System, PacingOutcome Outcome)> rows, TimeSpan elapsed, TimeSpan patience)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command.TrimEnd()}`  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Load average before {loadBefore}, after {loadAfter}; the run took {elapsed.TotalMinutes:0.0} min.");
        md.AppendLine();
        md.AppendLine("| limit | slots | system | run | accepted | violations (429) | limiter rejections | wasted attempts | achieved /s | of the limit | wall s | mean job ms | slots / mean job |");
        md.AppendLine("|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var (rep, c, system, o) in rows.OrderBy(r => r.Case.Limit).ThenBy(r => r.Case.SlotsPerPermit).ThenBy(r => Array.IndexOf(systems, r.System)).ThenBy(r => r.Rep))
        {
            var gaveUp = o.Finished ? "" : string.Create(CultureInfo.InvariantCulture, $" (gave up after {patience.TotalSeconds:0} s)");
            var rejections = system is HangfirePollyPacingSystem ? o.LimiterRejections.ToString("N0", CultureInfo.InvariantCulture) : "n/a";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.Limit:N0}/s | {c.SlotsPerPermit}x = {c.Slots} | {system.Name} | {rep} | {o.Accepted:N0} of {c.Calls:N0}{gaveUp} | {o.Violations:N0} | {rejections} | {o.Wasted:N0} | {o.Rate:N1} | {o.Rate / c.Limit:0.000} | {o.Wall.TotalSeconds:0.00} | {o.MeanJob.TotalMilliseconds:0.0} | {(o.MeanJob > TimeSpan.Zero ? c.Slots / o.MeanJob.TotalSeconds : 0):N0}/s |");
        }
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Server: Kestrel on 127.0.0.1, a token bucket refilled at the limit holding 1 + {RateLimitedServer.Tolerance.TotalMilliseconds:0} ms of the limit (2 at 10/s, 11 at 100/s, 101 at 1,000/s); over it, 429 with Retry-After: 1. Accepted calls are answered after {PacingCase.ServiceTime.TotalMilliseconds:0} ms.");
        md.AppendLine("Achieved rate: (accepted - 1) / (last accepted - first accepted), at the server. Wall: from starting the workers to the last accepted call. " +
                      "Mean job: how long a job held its slot (Pacer: handler run time; Hangfire: the job method, limiter and call); slots / mean job is the most the slots could do if no time were lost between jobs.");
        md.AppendLine();
        foreach (var system in systems)
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{system.Name}**: {system.Settings}");
        return md.ToString();
    }
}
