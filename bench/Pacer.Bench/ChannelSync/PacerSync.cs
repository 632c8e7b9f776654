using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pacer.ChannelSync;
using Pacer.Storage;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// Pacer's side: the channel-sync recipe through the engine, set up as an application (or <c>pacer sync</c>) would: a
/// generic host, the SQLite store in the run's directory, <c>AddYouTube</c> pointed at the emulator, <c>AddChannelSync</c>,
/// and one run job enqueued. Run twice on the same directory, the second run is incremental: the store keeps the
/// conditional-request cache and the CSV keeps the rows.
/// </summary>
internal static class PacerSync
{
    /// <summary>Worker slots: <see cref="PacerOptions.Concurrency"/>'s default and the CLI's.</summary>
    public const int Concurrency = 100;

    /// <summary>
    /// The youtube resource's quota. The default (10,000 units a day, as Google grants) is less than a first sync of
    /// 1,000 channels needs, so it is raised here as it is in the emulator. No rate limit: none is declared by default.
    /// </summary>
    public const string Quota = "1000000/day@America/Los_Angeles";

    /// <summary>How often the bench looks for the run's summary (the CLI's progress display looks every 100 ms).</summary>
    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(10);

    public static string Settings =>
        $"Pacer's channel-sync recipe through the engine on SQLite (WAL, Synchronous = Normal), PacerOptions defaults: Concurrency {Concurrency}, " +
        $"PollInterval 1 s. The youtube resource declared with Quota = {Quota} (raised from 10,000/day) and no rate limit; " +
        "Classic costs (1 unit per list call or 304); channel lists and first pages cached in the store for conditional GETs. Destination videos.csv " +
        "(fsync per batch; a write starts as soon as rows arrive, and the rows that arrive during it go together in the next); the XLSX variant also writes videos.xlsx (staged, written at completion). " +
        "No logging provider.";

    public static async Task<SyncChildResult> RunAsync(Uri api, string directory, IReadOnlyList<string> channels, bool xlsx, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // Diagnostics, off by default: PACER_BENCH_MEMTRACE=1 prints the process's memory twice a second,
        // PACER_BENCH_LOG=Debug the host's log (every YouTube call with its time).
        using var memory = Environment.GetEnvironmentVariable("PACER_BENCH_MEMTRACE") is { Length: > 0 } ? new MemoryTrace(started) : null;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        // The emulator takes any key.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["YouTube:ApiKey"] = "pacer-bench" });
        if (Environment.GetEnvironmentVariable("PACER_BENCH_LOG") is { Length: > 0 } level)
        {
            builder.Logging.SetMinimumLevel(Enum.Parse<Microsoft.Extensions.Logging.LogLevel>(level));
            builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "ss.fff "; });
        }
        builder.Services.AddYouTube(youtube => youtube.BaseAddress = api);
        builder.Services.AddPacer(pacer => pacer
            .UseSqlite(Path.Combine(directory, "pacer.db"))
            .AddResource("youtube", youtube => youtube.Quota = Quota)
            .AddChannelSync()
            .Configure(options => options.Concurrency = Concurrency));
        using var host = builder.Build();
        using var timeline = new PacerTimeline(host.Services, started);
        await host.StartAsync(cancellationToken);
        var hostStarted = Stopwatch.GetElapsedTime(started).TotalSeconds;

        string[] destinations = xlsx
            ? [Path.Combine(directory, "videos.csv"), Path.Combine(directory, "videos.xlsx")]
            : [Path.Combine(directory, "videos.csv")];
        var client = host.Services.GetRequiredService<IPacerClient>();
        var store = host.Services.GetRequiredService<IJobStore>();
        var run = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var args = new ChannelSyncArgs { Channels = channels, Destinations = destinations, Run = run };
        var runJob = await client.EnqueueAsync(ChannelSyncKinds.Run, JsonSerializer.Serialize(args, JsonSerializerOptions.Web),
            new EnqueueOptions { Tags = [SyncKeys.Tag(run)], UniqueKey = $"{run}:run" }, cancellationToken);

        var summary = await WaitForSummaryAsync(store, runJob.Id, run, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Untimed: what each channel job recorded, for the units spent on channels with nothing new.
        var records = new List<ChannelRecord>();
        foreach (var channel in channels)
        {
            if (await store.GetEffectAsync(SyncKeys.Channel(run, channel), cancellationToken) is { ResultJson: { } json })
                records.Add(JsonSerializer.Deserialize<ChannelRecord>(json, JsonSerializerOptions.Web)!);
        }
        await host.StopAsync(CancellationToken.None);

        var unchanged = records.Where(r => r.NewVideos == 0).ToArray();
        return new SyncChildResult
        {
            SyncSeconds = seconds,
            PeakRssBytes = ChildProcess.PeakRssBytes(),
            CpuSeconds = ChildProcess.CpuSeconds(),
            Channels = channels.Count,
            ChannelsSynced = summary.ChannelsSynced, // channels whose job completed (a failed one records nothing)
            UnchangedChannels = unchanged.Length,
            UnchangedMaxUnits = unchanged.Length == 0 ? 0 : unchanged.Max(r => r.Pages),
            UnchangedUnits = unchanged.Sum(r => (long)r.Pages),
            Timeline = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"host started {hostStarted:0.00} s; {timeline.Describe()}; summary seen {seconds:0.00} s"),
        };
    }

    /// <summary>Looks for the summary the run's finish job records once the destinations are complete.</summary>
    private static async Task<SyncSummary> WaitForSummaryAsync(IJobStore store, long runJobId, string run, CancellationToken cancellationToken)
    {
        for (var looks = 0; ; looks++)
        {
            if (await store.GetEffectAsync(SyncKeys.Summary(run), cancellationToken) is { ResultJson: { } json })
                return JsonSerializer.Deserialize<SyncSummary>(json, JsonSerializerOptions.Web)!;
            if (looks % 50 == 49)
            {
                // Now and then: a run that cannot finish should fail the benchmark, not hang it.
                var jobs = await store.ListAsync(new JobQuery { Tag = SyncKeys.Tag(run), Limit = 10_000 }, cancellationToken);
                if (await store.GetAsync(runJobId, cancellationToken) is { State: JobState.Discarded or JobState.Cancelled } runJob)
                    throw new InvalidOperationException($"The run job ended {runJob.State}: {runJob.Errors.LastOrDefault()?.Message}");
                if (jobs.FirstOrDefault(j => j.State is JobState.Discarded or JobState.Cancelled) is { } failed)
                    throw new InvalidOperationException($"Job {failed.Id} ({failed.Kind}) ended {failed.State}: {failed.Errors.LastOrDefault()?.Message}");
            }
            await Task.Delay(Look, cancellationToken);
        }
    }
}
