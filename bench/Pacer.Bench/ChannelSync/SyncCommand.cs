using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Pacer.Emulators;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// <c>sync</c>: the channel-sync benchmark (issue 5). For every channel count and side: a fresh emulator process, a
/// first sync in a fresh process and directory, 5% of the channels get new uploads, an incremental sync in another
/// fresh process on the same directory. Calls, 304s and units are read from the emulator's counters; rows and
/// duplicates from the CSV file.
/// </summary>
internal static class SyncCommand
{
    private const double UploadShare = 0.05;
    private const int PageSize = 50;

    /// <summary>
    /// Above this many channels the naive side runs in the first repetition only (at 1,000 it takes about half an hour a
    /// run), and <c>--naive-sample</c> applies. It waits on latency, one call at a time, so repeating it adds little.
    /// </summary>
    private const int NaiveRepeatLimit = 100;

    public const string Usage =
        "sync [--channels N]... [--side pacer|pacer-xlsx|naive]... [--latency MS] [--repeat N] [--naive-sample K] [--quick] [--markdown FILE]\n" +
        "  --channels      channel counts (default 32 and 1000)\n" +
        "  --side          sides to run (default all three)\n" +
        "  --latency       emulator latency per call in ms (default 150)\n" +
        "  --uploads       new videos per changed channel before the incremental run (default 3; 5% of the channels change)\n" +
        "  --repeat N      repetitions (default 3; medians shown); the naive side above 100 channels runs once\n" +
        "  --naive-sample  above 100 channels the naive side syncs its first K and its time is scaled to all (default: off)\n" +
        "  --quick         one repetition, and --naive-sample 25\n" +
        "  --markdown      also write the report as markdown to FILE";

    private sealed record Settings(int[] Channels, SyncSide[] Sides, int LatencyMs, int Uploads, int Repeat, int NaiveSample, long Seed);

    public static async Task<int> RunAsync(string[] args)
    {
        var channels = new List<int>();
        var sides = new List<SyncSide>();
        int latency = 150, uploads = 3, naiveSample = 0;
        int? repeat = null, sample = null;
        long seed = 1;
        var quick = false;
        string? markdown = null;
        for (var i = 0; i < args.Length; i++)
        {
            var next = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--channels" when int.TryParse(next, CultureInfo.InvariantCulture, out var n) && n > 0: channels.Add(n); i++; break;
                case "--side" when next is not null && SyncSides.TryParse(next, out var side): sides.Add(side); i++; break;
                case "--latency" when int.TryParse(next, CultureInfo.InvariantCulture, out var ms) && ms >= 0: latency = ms; i++; break;
                case "--uploads" when int.TryParse(next, CultureInfo.InvariantCulture, out var u) && u > 0: uploads = u; i++; break;
                case "--repeat" when int.TryParse(next, CultureInfo.InvariantCulture, out var r) && r > 0: repeat = r; i++; break;
                case "--naive-sample" when int.TryParse(next, CultureInfo.InvariantCulture, out var k) && k >= 0: sample = k; i++; break;
                case "--seed" when long.TryParse(next, CultureInfo.InvariantCulture, out var s): seed = s; i++; break;
                case "--quick": quick = true; break;
                case "--markdown" when next is not null: markdown = next; i++; break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n{Usage}");
                    return 2;
            }
        }
        if (quick)
            naiveSample = 25;
        var settings = new Settings(
            channels.Count > 0 ? [.. channels.Distinct()] : [32, YouTubeEmulatorOptions.BenchmarkChannelCount],
            sides.Count > 0 ? [.. sides.Distinct()] : SyncSides.All,
            latency, uploads, repeat ?? (quick ? 1 : 3), sample ?? naiveSample, seed);

        var command = ("dotnet run -c Release --project bench/Pacer.Bench -- sync " + string.Join(' ', args)).TrimEnd();
        var machine = Machine();
        var loadBefore = LoadAverage();
        Console.WriteLine(command);
        Console.WriteLine(machine);
        Console.WriteLine($"load average before: {loadBefore}");
        if (!IsRelease())
            Console.WriteLine("warning: this is not a Release build; figures mean little (use -c Release).");

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var root = Directory.CreateTempSubdirectory("pacer-bench-sync-");
        var total = Stopwatch.StartNew();
        var figures = new List<PhaseFigures>();
        var datasets = new Dictionary<int, DataSet>();
        try
        {
            for (var rep = 0; rep < settings.Repeat; rep++)
            {
                foreach (var count in settings.Channels)
                {
                    for (var k = 0; k < settings.Sides.Length; k++)
                    {
                        // A rotating order, so a burst of load from the rest of the machine does not land on one side only.
                        var side = settings.Sides[(k + rep) % settings.Sides.Length];
                        if (side == SyncSide.Naive && rep > 0 && count > NaiveRepeatLimit)
                            continue;
                        var directory = Directory.CreateDirectory(Path.Combine(root.FullName, $"{count}-{side.Name()}-{rep + 1}")).FullName;
                        Console.WriteLine($"[{rep + 1}/{settings.Repeat}] {count} channels, {side.Title()}");
                        var (first, incremental, dataset) = await MeasureAsync(settings, count, side, directory, cancel.Token);
                        datasets[count] = dataset;
                        figures.Add(first);
                        figures.Add(incremental);
                        Print(first);
                        Print(incremental);
                        Directory.Delete(directory, recursive: true);
                    }
                }
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }

        var loadAfter = LoadAverage();
        var minutes = total.Elapsed.TotalMinutes;
        var report = Report(command, machine, loadBefore, loadAfter, settings, figures, datasets, minutes);
        Console.WriteLine();
        Console.WriteLine(report);
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, report);
            Console.WriteLine($"Markdown written to {markdown}");
        }
        return 0;
    }

    /// <summary>What the emulator serves for one channel count: the critical path of a first sync is its largest channel.</summary>
    private sealed record DataSet(int Channels, long Videos, int MaxVideos, long Pages);

    private static async Task<(PhaseFigures First, PhaseFigures Incremental, DataSet DataSet)> MeasureAsync(
        Settings settings, int count, SyncSide side, string directory, CancellationToken cancellationToken)
    {
        await using var emulator = await EmulatorProcess.StartAsync(count, settings.LatencyMs, settings.Seed, cancellationToken);
        var all = await emulator.ChannelsAsync(cancellationToken);
        await emulator.WarmUpAsync(all, cancellationToken);
        var dataset = new DataSet(all.Count, all.Sum(c => (long)c.VideoCount), all.Max(c => c.VideoCount), all.Sum(c => Pages(c.VideoCount)));
        var channelsFile = Path.Combine(directory, "channels.txt");
        await File.WriteAllLinesAsync(channelsFile, all.Select(c => c.Id), cancellationToken);
        var synced = side == SyncSide.Naive && settings.NaiveSample > 0 && all.Count > NaiveRepeatLimit ? Math.Min(settings.NaiveSample, all.Count) : all.Count;

        IReadOnlyList<string> changed = [];
        var first = await PhaseAsync(SyncPhase.First);
        changed = await emulator.AddUploadsAsync(UploadShare, settings.Uploads, cancellationToken);
        Console.WriteLine($"    {changed.Count} channels got {settings.Uploads} new uploads each");
        var incremental = await PhaseAsync(SyncPhase.Incremental);
        return (first, incremental, dataset);

        async Task<PhaseFigures> PhaseAsync(SyncPhase phase)
        {
            var csv = Path.Combine(directory, "videos.csv");
            var rowsBefore = CsvCheck.Count(csv).Rows;
            var countersBefore = await emulator.CountersAsync(cancellationToken);
            var cpuBefore = emulator.CpuTime;
            var (result, wall) = await ChildProcess.RunAsync<SyncChildResult>(
            [
                "run", "--side", side.Name(), "--api", emulator.BaseAddress.ToString(), "--dir", directory,
                "--channels-file", channelsFile, "--limit", synced.ToString(CultureInfo.InvariantCulture),
            ], cancellationToken);
            var counters = (await emulator.CountersAsync(cancellationToken)).Minus(countersBefore);
            if (result.Timeline is { } timeline)
                Console.WriteLine($"    {phase.ToString().ToLowerInvariant(),-11} timeline: {timeline}");
            var emulatorCpu = (emulator.CpuTime - cpuBefore).TotalSeconds;
            if (counters.QuotaExceeded > 0 || counters.InjectedServerErrors + counters.InjectedRateLimits + counters.InjectedTimeouts > 0)
                throw new InvalidOperationException($"The emulator refused or failed calls ({counters}); the figures would not be comparable.");
            if (result.ChannelsSynced != synced)
                throw new InvalidOperationException($"{side.Title()} synced {result.ChannelsSynced} of {synced} channels.");

            var now = await emulator.ChannelsAsync(cancellationToken);
            var expected = now.Take(synced).Sum(c => (long)c.VideoCount);
            var file = CsvCheck.Count(csv);
            var figures = new PhaseFigures
            {
                Channels = count,
                Side = side,
                Phase = phase,
                SyncSeconds = result.SyncSeconds,
                ProcessSeconds = wall.TotalSeconds,
                Calls = counters.Requests,
                NotModified = counters.NotModified,
                Units = counters.UnitsSpent,
                RowsAdded = file.Rows - rowsBefore,
                Duplicates = file.Duplicates,
                Missing = expected - file.Distinct,
                PeakRssMb = result.PeakRssBytes / (1024.0 * 1024.0),
                CpuSeconds = result.CpuSeconds,
                EmulatorCpuSeconds = emulatorCpu,
                UnchangedMaxUnits = result.UnchangedMaxUnits,
                UnchangedChannels = result.UnchangedChannels,
                Timeline = result.Timeline,
            };
            if (synced == all.Count)
                return figures;

            // A sample: the naive side's calls are fixed by the data (a channel costs 1 + 2 x its pages, 1 unit each),
            // so the whole run's calls are known exactly and its time is the sample's time per call times them.
            var fullCalls = now.Sum(c => 1 + (2 * Pages(c.VideoCount)));
            var scale = (double)fullCalls / counters.Requests;
            return figures with
            {
                SampledChannels = synced,
                SyncSeconds = result.SyncSeconds * scale,
                ProcessSeconds = wall.TotalSeconds - result.SyncSeconds + (result.SyncSeconds * scale),
                Calls = fullCalls,
                Units = fullCalls,
                RowsAdded = phase == SyncPhase.First ? now.Sum(c => (long)c.VideoCount) : changed.Count * (long)settings.Uploads,
                // CPU does not scale with calls (start-up and JIT are paid once): not estimated.
                CpuSeconds = double.NaN,
                EmulatorCpuSeconds = double.NaN,
            };
        }
    }

    private static long Pages(int videos) => Math.Max(1, (videos + PageSize - 1) / PageSize);

    private static void Print(PhaseFigures f) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"    {f.Phase.ToString().ToLowerInvariant(),-11} sync {f.SyncSeconds:0.00} s{(f.SampledChannels is { } n ? $" (estimated from {n} channels)" : "")}, " +
        $"process {f.ProcessSeconds:0.00} s, calls {f.Calls:N0}, 304 {f.NotModified:N0}, units {f.Units:N0}, rows +{f.RowsAdded:N0}, " +
        $"duplicates {f.Duplicates}, missing {f.Missing}, peak RSS {f.PeakRssMb:0} MB, CPU {Cpu(f.CpuSeconds)} s (emulator {Cpu(f.EmulatorCpuSeconds)} s)" +
        $"{(f.UnchangedMaxUnits is { } u ? $", unchanged channels {f.UnchangedChannels} at most {u} unit(s) each" : "")}"));

    // ----- report -----

    private static string Report(string command, string machine, string loadBefore, string loadAfter, Settings settings,
        List<PhaseFigures> figures, Dictionary<int, DataSet> datasets, double minutes)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine}  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"Load average (1, 5, 15 min): {loadBefore} before, {loadAfter} after; the run took {minutes:0.0} min.  ");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Emulator: {settings.LatencyMs} ms per call, seed {settings.Seed}, daily budget {EmulatorProcess.DailyBudget:N0} units, in its own process. " +
            $"Between the runs {UploadShare * 100:0}% of the channels get {settings.Uploads} new uploads each. Figures are medians of {settings.Repeat} repetition(s) " +
            $"(duplicates and missing rows: the worst repetition); the naive side above {NaiveRepeatLimit} channels runs once.");
        md.AppendLine();
        foreach (var (count, data) in datasets.OrderBy(d => d.Key))
        {
            var critical = (2 + Pages(data.MaxVideos)) * settings.LatencyMs / 1000.0;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"- {count:N0} channels: {data.Videos:N0} videos, {data.Pages:N0} pages of 50; the largest channel has {data.MaxVideos} videos, so a first sync " +
                $"that follows the page tokens needs at least {2 + Pages(data.MaxVideos)} calls one after the other (channels.list, {Pages(data.MaxVideos)} pages, " +
                $"the last page's videos.list): {critical:0.00} s at {settings.LatencyMs} ms.");
        }
        md.AppendLine();
        md.AppendLine("| channels | run | side | sync s | process s | API calls | 304s | quota units | rows added | duplicate rows | missing rows | peak RSS MB | CPU s | emulator CPU s | naive / this |");
        md.AppendLine("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var groups = figures.GroupBy(f => (f.Channels, f.Phase, f.Side)).OrderBy(g => g.Key.Channels).ThenBy(g => g.Key.Phase).ThenBy(g => g.Key.Side);
        foreach (var group in groups)
        {
            var (count, phase, side) = group.Key;
            var list = group.ToList();
            var sync = Median(list, f => f.SyncSeconds);
            var naive = figures.Where(f => f.Channels == count && f.Phase == phase && f.Side == SyncSide.Naive).ToList();
            var ratio = naive.Count > 0 ? Median(naive, f => f.SyncSeconds) / sync : double.NaN;
            var sampled = list.FirstOrDefault(f => f.SampledChannels is not null)?.SampledChannels;
            var est = sampled is null ? "" : " (est.)";
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {count:N0} | {Phase(phase)} | {side.Title()}{(sampled is { } n ? $", first {n} channels timed" : "")} | {Median(list, f => f.SyncSeconds):0.00}{est} | " +
                $"{Median(list, f => f.ProcessSeconds):0.00}{est} | {Median(list, f => f.Calls):N0} | {Median(list, f => f.NotModified):N0} | {Median(list, f => f.Units):N0} | " +
                $"{Median(list, f => f.RowsAdded):N0} | {list.Max(f => f.Duplicates):N0} | {list.Max(f => f.Missing):N0} | " +
                $"{Median(list, f => f.PeakRssMb):0}{(sampled is null ? "" : " (sample)")} | {Cpu(Median(list, f => f.CpuSeconds))} | {Cpu(Median(list, f => f.EmulatorCpuSeconds))} | " +
                $"{(side == SyncSide.Naive || double.IsNaN(ratio) ? "" : ratio.ToString(ratio < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "x")} |"));
        }
        md.AppendLine();
        md.AppendLine("Where Pacer's time went (the run with the median sync time; each job kind from its first start to its last end):");
        md.AppendLine();
        foreach (var group in figures.Where(f => f.Side != SyncSide.Naive && f.Timeline is not null)
                     .GroupBy(f => (f.Channels, f.Phase, f.Side)).OrderBy(g => g.Key.Channels).ThenBy(g => g.Key.Phase).ThenBy(g => g.Key.Side))
        {
            var ordered = group.OrderBy(f => f.SyncSeconds).ToList();
            md.AppendLine(CultureInfo.InvariantCulture, $"- {group.Key.Channels:N0} channels, {Phase(group.Key.Phase)}, {group.Key.Side.Title()}: {ordered[(ordered.Count - 1) / 2].Timeline}");
        }
        md.AppendLine();
        md.AppendLine("Goals:");
        md.AppendLine();
        foreach (var line in Goals(figures))
            md.AppendLine("- " + line);
        md.AppendLine();
        md.AppendLine("Sides:");
        md.AppendLine();
        md.AppendLine($"- **Pacer**: {PacerSync.Settings}");
        md.AppendLine($"- **naive**: {NaiveSync.Settings}");
        return md.ToString();
    }

    private static IEnumerable<string> Goals(List<PhaseFigures> figures)
    {
        double? Sync(int channels, SyncPhase phase, SyncSide side) =>
            figures.Where(f => f.Channels == channels && f.Phase == phase && f.Side == side).ToList() is { Count: > 0 } list ? Median(list, f => f.SyncSeconds) : null;

        if (Sync(32, SyncPhase.First, SyncSide.Pacer) is { } first32)
            yield return string.Create(CultureInfo.InvariantCulture, $"32 channels, first run under 1.5 s: {(first32 < 1.5 ? "met" : "missed")} ({first32:0.00} s).");
        var big = figures.Max(f => f.Channels);
        foreach (var phase in new[] { SyncPhase.First, SyncPhase.Incremental })
        {
            if (Sync(big, phase, SyncSide.Pacer) is { } pacer && Sync(big, phase, SyncSide.Naive) is { } naive)
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"{big:N0} channels, {Phase(phase)} run at least 15x faster than naive: {(naive / pacer >= 15 ? "met" : "missed")} ({naive / pacer:0.0}x).");
        }
        var incremental = figures.Where(f => f.Phase == SyncPhase.Incremental && f.UnchangedMaxUnits is not null).ToList();
        if (incremental.Count > 0)
        {
            var worst = incremental.Max(f => f.UnchangedMaxUnits!.Value);
            yield return $"Incremental run, at most 1 unit per unchanged channel: {(worst <= 1 ? "met" : "missed")} (at most {worst} in any Pacer run).";
        }
        var duplicates = figures.Max(f => f.Duplicates);
        yield return $"0 duplicate rows: {(duplicates == 0 ? "met" : "missed")} (at most {duplicates} in any CSV).";
        var pacerBig = figures.Where(f => f.Channels == big && f.Side != SyncSide.Naive).ToList();
        if (pacerBig.Count > 0)
        {
            var peak = pacerBig.Max(f => f.PeakRssMb);
            yield return string.Create(CultureInfo.InvariantCulture, $"Peak memory under 200 MB at {big:N0} channels: {(peak < 200 ? "met" : "missed")} (at most {peak:0} MB in any Pacer run).");
        }
    }

    private static string Cpu(double seconds) => double.IsNaN(seconds) ? "n/a" : seconds.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Phase(SyncPhase phase) => phase == SyncPhase.First ? "first" : "incremental";

    private static double Median(List<PhaseFigures> figures, Func<PhaseFigures, double> value)
    {
        var sorted = figures.Select(value).Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Machine() =>
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
        $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC";

    private static bool IsRelease() =>
        typeof(SyncCommand).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is not [DebuggableAttribute { IsJITOptimizerDisabled: true }];
}
