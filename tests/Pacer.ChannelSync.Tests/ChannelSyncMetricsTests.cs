using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Emulators;

namespace Pacer.ChannelSync.Tests;

/// <summary>The recipe's counters on the meter Pacer.ChannelSync: what a worker running scheduled syncs exports.</summary>
public sealed class ChannelSyncMetricsTests
{
    [Fact]
    public async Task AFirstAndAnIncrementalRun_CountPagesNewVideosRowsAndChannels()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 3, MinVideosPerChannel = 60, MaxVideosPerChannel = 120, Seed = 4 });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);
        using var counts = new Counts(h.Host.Services.GetRequiredService<IMeterFactory>());
        var csv = h.PathOf("videos.csv");
        var videos = youtube.Channels.Sum(c => c.VideoCount);
        var pages = youtube.Channels.Sum(c => (c.VideoCount + 49) / 50);

        await h.SyncAsync(youtube.Channels.Select(c => c.Id), csv);

        Assert.Equal(pages, counts["pacer.sync.pages cached=False"]);
        Assert.Equal(videos, counts["pacer.sync.videos.new"]);
        Assert.Equal(videos, counts["pacer.sync.rows.written"]);
        Assert.Equal(3, counts["pacer.sync.channels.synced"]);

        youtube.AddUploads(youtube.Channels[0].Id, 2);
        await h.SyncAsync(youtube.Channels.Select(c => c.Id), csv);

        // The changed channel reads its first page (changed) and its second (all known: paging stops); the others' first
        // pages are answered 304.
        Assert.Equal(pages + 2, counts["pacer.sync.pages cached=False"]);
        Assert.Equal(2, counts["pacer.sync.pages cached=True"]);
        Assert.Equal(videos + 2, counts["pacer.sync.rows.written"]);
        Assert.Equal(6, counts["pacer.sync.channels.synced"]);
    }

    /// <summary>Sums each counter of this host's Pacer.ChannelSync meter (by its pacer.sync.cached tag, where it has one).</summary>
    private sealed class Counts : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

        public Counts(IMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == ChannelSyncTelemetryNames.Meter)
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var key = instrument.Name;
                foreach (var tag in tags)
                    key += $" {tag.Key["pacer.sync.".Length..]}={tag.Value}";
                _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
            });
            _listener.Start();
        }

        public long this[string key] => _sums.GetValueOrDefault(key);

        public void Dispose() => _listener.Dispose();
    }
}
