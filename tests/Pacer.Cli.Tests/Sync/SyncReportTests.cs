using Pacer.ChannelSync;
using Pacer.Cli.Sync;

namespace Pacer.Cli.Tests.Sync;

public sealed class SyncReportTests
{
    [Fact]
    public async Task FailedChannels_EachHaveALineOfTheirOwn_WithTheirReason()
    {
        var summary = new SyncSummary("r1", Channels: 3, ChannelsSynced: 1, Unknown: [],
            Failed: ["Bold Atlas (discarded after 2 attempts: refused, try again)", "Lucky Garden (cancelled after 1 attempt)"],
            Pages: 4, PagesFromCache: 1, NewVideos: 120, Written: 120, Duplicates: 0, Destinations: ["/tmp/v.csv"]);
        var output = new StringWriter();

        await SyncRunner.WriteAsync(CliConsole.ForWriters(output, TextWriter.Null), "Pacer sync",
            new SyncReport(summary, Calls: 6, CacheHits: 1, QuotaSpent: 6, QuotaLeft: 9_994, QuotaResets: null, Wall: TimeSpan.FromSeconds(1)));

        var lines = output.ToString().Split(Environment.NewLine);
        Assert.Contains("  channels:   3 (1 synced; 2 failed)", lines);
        Assert.Contains("  failed:     Bold Atlas (discarded after 2 attempts: refused, try again)", lines);
        Assert.Contains("  failed:     Lucky Garden (cancelled after 1 attempt)", lines);
    }
}
