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

    [Fact]
    public async Task ChannelsThatFailedAlike_ShareALine_NamingAFewOfThem()
    {
        const string Full = "Google Sheets spreadsheets.values.append refused the request (400 INVALID_ARGUMENT: ...). The spreadsheet is full";
        ChannelFailure[] failures =
        [
            new("Bold Atlas", "discarded after 1 attempt", Full),
            new("Lucky Garden", "cancelled after 1 attempt", null),
            new("Tiny Lantern", "discarded after 1 attempt", Full),
            new("Frozen Harbor", "discarded after 1 attempt", Full),
            new("Daily Cabin", "discarded after 1 attempt", Full),
            new("Quiet Meadow", "discarded after 2 attempts", Full),
        ];
        var summary = new SyncSummary("r1", Channels: 7, ChannelsSynced: 1, Unknown: [], Failed: [.. failures.Select(f => f.ToString())],
            Pages: 4, PagesFromCache: 1, NewVideos: 120, Written: 120, Duplicates: 0, Destinations: ["sheets:s/Videos"])
        {
            Failures = failures,
        };
        var output = new StringWriter();

        await SyncRunner.WriteAsync(CliConsole.ForWriters(output, TextWriter.Null), "Pacer sync",
            new SyncReport(summary, Calls: 6, CacheHits: 1, QuotaSpent: 6, QuotaLeft: 9_994, QuotaResets: null, Wall: TimeSpan.FromSeconds(1)));

        var failed = output.ToString().Split(Environment.NewLine).Where(line => line.StartsWith("  failed:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
        [
            $"  failed:     4 channels (Bold Atlas, Tiny Lantern, Frozen Harbor and 1 more) discarded after 1 attempt: {Full}",
            "  failed:     Lucky Garden (cancelled after 1 attempt)",
            $"  failed:     Quiet Meadow (discarded after 2 attempts: {Full})",
        ], failed);
        Assert.Contains("  channels:   7 (1 synced; 6 failed)", output.ToString().Split(Environment.NewLine));
    }
}
