using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Pacer.ChannelSync;

/// <summary>
/// Live figures of the runs this process works on, for progress bars; the durable summary is in the store. What the runs
/// do is also counted on the meter <c>Pacer.ChannelSync</c> (see docs/telemetry.md).
/// </summary>
public sealed class ChannelSyncProgress
{
    private readonly ConcurrentDictionary<string, RunProgress> _runs = new(StringComparer.Ordinal);
    private readonly ChannelSyncMetrics? _metrics;

    public ChannelSyncProgress()
    {
    }

    public ChannelSyncProgress(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _metrics = new ChannelSyncMetrics(meters);
    }

    public RunProgress For(string run) => _runs.GetOrAdd(run, r => new RunProgress(r, _metrics));

    /// <summary>
    /// The live figures of a run another process planned (one this process now follows, that process having stopped):
    /// the channels come from its plan, and <paramref name="channelsDone"/> of them are done already; the rest counts
    /// what this process does.
    /// </summary>
    public RunProgress Follow(string run, SyncPlanRecord plan, int channelsDone = 0)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var progress = For(run);
        progress.Planned(plan.Channels, plan.Channels - plan.Unknown.Count);
        progress.ChannelsDoneBefore(channelsDone);
        return progress;
    }
}

/// <summary>What one run has done so far in this process.</summary>
public sealed class RunProgress
{
    private readonly ChannelSyncMetrics? _metrics;
    private int _channels = -1;
    private int _resolved;
    private int _channelsDone;
    private long _pages;
    private long _pagesFromCache;
    private long _videosFound;
    private long _videosWritten;
    private long _duplicates;

    internal RunProgress(string run, ChannelSyncMetrics? metrics)
    {
        Run = run;
        _metrics = metrics;
    }

    public string Run { get; }

    /// <summary>Channels asked for, once the run's plan has resolved them (-1 before).</summary>
    public int Channels => Volatile.Read(ref _channels);
    public int Resolved => Volatile.Read(ref _resolved);
    public int ChannelsDone => Volatile.Read(ref _channelsDone);
    public long Pages => Interlocked.Read(ref _pages);
    public long PagesFromCache => Interlocked.Read(ref _pagesFromCache);
    public long VideosFound => Interlocked.Read(ref _videosFound);
    public long VideosWritten => Interlocked.Read(ref _videosWritten);
    public long Duplicates => Interlocked.Read(ref _duplicates);

    internal void Planned(int channels, int resolved)
    {
        Volatile.Write(ref _resolved, resolved);
        Volatile.Write(ref _channels, channels);
    }

    internal void Page(bool fromCache)
    {
        Interlocked.Increment(ref _pages);
        if (fromCache)
            Interlocked.Increment(ref _pagesFromCache);
        _metrics?.Page(fromCache);
    }

    internal void Found(int videos)
    {
        Interlocked.Add(ref _videosFound, videos);
        _metrics?.Found(videos);
    }

    internal void Wrote(int written, int duplicates)
    {
        Interlocked.Add(ref _videosWritten, written);
        Interlocked.Add(ref _duplicates, duplicates);
        _metrics?.Wrote(written, duplicates);
    }

    internal void ChannelDone()
    {
        Interlocked.Increment(ref _channelsDone);
        _metrics?.ChannelDone();
    }

    internal void ChannelsDoneBefore(int channels) => Interlocked.Add(ref _channelsDone, Math.Max(channels, 0));
}
