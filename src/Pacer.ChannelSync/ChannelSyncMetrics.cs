using System.Diagnostics.Metrics;

namespace Pacer.ChannelSync;

/// <summary>The name of the channel-sync recipe's <see cref="Meter"/>, for exporters to subscribe to.</summary>
public static class ChannelSyncTelemetryNames
{
    public const string Meter = "Pacer.ChannelSync";
}

/// <summary>
/// The recipe's own counters, on the meter <see cref="ChannelSyncTelemetryNames.Meter"/>, so a worker that runs scheduled syncs shows what they
/// did (and a collector can alert on a destination that stops getting rows) beside the engine's job counts.
/// </summary>
internal sealed class ChannelSyncMetrics
{
    private static readonly KeyValuePair<string, object?> Cached = new("pacer.sync.cached", true);
    private static readonly KeyValuePair<string, object?> Fetched = new("pacer.sync.cached", false);

    private readonly Counter<long> _pages;
    private readonly Counter<long> _newVideos;
    private readonly Counter<long> _rowsWritten;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _channels;

    public ChannelSyncMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ChannelSyncTelemetryNames.Meter);
        _pages = meter.CreateCounter<long>("pacer.sync.pages", "{page}", "Upload pages read; pacer.sync.cached=true for those answered 304 from the cache.");
        _newVideos = meter.CreateCounter<long>("pacer.sync.videos.new", "{video}", "Videos found that a destination did not have yet.");
        _rowsWritten = meter.CreateCounter<long>("pacer.sync.rows.written", "{row}", "Rows written, all destinations together.");
        _duplicates = meter.CreateCounter<long>("pacer.sync.rows.duplicate", "{row}", "Rows a destination already held, so not written again.");
        _channels = meter.CreateCounter<long>("pacer.sync.channels.synced", "{channel}", "Channel jobs that completed.");
    }

    public void Page(bool fromCache) => _pages.Add(1, fromCache ? Cached : Fetched);

    public void Found(int videos) => _newVideos.Add(videos);

    public void Wrote(int written, int duplicates)
    {
        _rowsWritten.Add(written);
        _duplicates.Add(duplicates);
    }

    public void ChannelDone() => _channels.Add(1);
}
