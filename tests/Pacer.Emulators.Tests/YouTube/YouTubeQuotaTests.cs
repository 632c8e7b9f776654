using Microsoft.Extensions.Time.Testing;

namespace Pacer.Emulators.Tests.YouTube;

public sealed class YouTubeQuotaTests
{
    private const string QuotaMessage = "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.";

    private static YouTubeEmulatorOptions Options(FakeTimeProvider time, long budget)
    {
        var options = new YouTubeEmulatorOptions { ChannelCount = 2, MaxVideosPerChannel = 30, TimeProvider = time };
        options.Quota.DailyBudget = budget;
        return options;
    }

    [Fact]
    public async Task Exhausted_Is403QuotaExceededWithTheRealBody_AndCostsNothing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await YouTubeEmulator.StartAsync(Options(time, budget: 3));
        using var http = Http.Client(emulator.BaseAddress);
        var url = $"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}&key=k";

        for (var i = 0; i < 3; i++)
            Assert.Equal(200, (await http.FetchAsync(url)).Code);
        var refused = await http.FetchAsync(url);

        Assert.Equal(403, refused.Code);
        var error = refused.Json.GetProperty("error");
        Assert.Equal(403, error.GetProperty("code").GetInt32());
        Assert.Equal(QuotaMessage, error.GetProperty("message").GetString());
        var item = error.GetProperty("errors")[0];
        Assert.Equal((QuotaMessage, "youtube.quota", "quotaExceeded"),
            (item.GetProperty("message").GetString(), item.GetProperty("domain").GetString(), item.GetProperty("reason").GetString()));
        Assert.Equal(3, emulator.Counters.UnitsSpent);
        Assert.Equal(1, emulator.Counters.QuotaExceeded);
        Assert.Equal(4, emulator.Counters.Calls(YouTubeMethods.ChannelsList));
    }

    [Fact]
    public async Task InvalidRequests_CostOneUnit_AndSearchCostsAHundred()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await YouTubeEmulator.StartAsync(Options(time, budget: 10_000));
        using var http = Http.Client(emulator.BaseAddress);

        Assert.Equal(400, (await http.FetchAsync("youtube/v3/videos?key=k")).Code);
        Assert.Equal(404, (await http.FetchAsync("youtube/v3/playlistItems?part=id&playlistId=UUnope&key=k")).Code);
        Assert.Equal(2, emulator.QuotaUsedToday);
        Assert.Equal(200, (await http.FetchAsync("youtube/v3/search?part=snippet&q=guide&key=k")).Code);
        Assert.Equal(102, emulator.QuotaUsedToday);
    }

    [Fact]
    public async Task NotModified_CostsTheConfiguredUnits()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var options = Options(time, budget: 10_000);
        options.Quota.Costs[YouTubeMethods.VideosList] = 5;
        options.Quota.NotModifiedCost = 0;
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);
        var url = $"youtube/v3/videos?part=statistics&id={emulator.GetUploads(emulator.Channels[0].Id)[0]}&key=k";

        var first = await http.FetchAsync(url);
        var second = await http.FetchAsync(url, first.ETag);

        Assert.Equal(304, second.Code);
        Assert.Equal(5, emulator.QuotaUsedToday);
        Assert.Equal(5, emulator.Counters.UnitsSpent);
    }

    [Fact]
    public async Task Buckets2026_SearchHasItsOwnHundredCalls()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var options = new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20, TimeProvider = time, Quota = YouTubeQuotaOptions.Buckets2026() };
        options.Quota.SeparateDailyCalls[YouTubeMethods.SearchList] = 2;
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);

        var codes = new List<int>();
        for (var i = 0; i < 3; i++)
            codes.Add((await http.FetchAsync("youtube/v3/search?part=snippet&key=k")).Code);
        var list = await http.FetchAsync($"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}&key=k");

        Assert.Equal([200, 200, 403], codes);
        Assert.Equal(200, list.Code);
        Assert.Equal(1, emulator.QuotaUsedToday);
    }

    [Theory]
    // Spring forward (8 March 2026): the next midnight is PDT, 07:00 UTC; a fixed -8 h offset would wait until 08:00.
    [InlineData("2026-03-08T12:00:00Z", "2026-03-09T06:59:59Z", "2026-03-09T07:00:00Z")]
    // Fall back (1 November 2026): the next midnight is PST, 08:00 UTC; a fixed -7 h offset would reset at 07:00.
    [InlineData("2026-11-01T12:00:00Z", "2026-11-02T07:59:59Z", "2026-11-02T08:00:00Z")]
    public async Task Exhausted_ResetsAtMidnightPacific_AcrossDaylightSavingChanges(string exhaustedAt, string justBefore, string midnight)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(exhaustedAt, System.Globalization.CultureInfo.InvariantCulture));
        await using var emulator = await YouTubeEmulator.StartAsync(Options(time, budget: 2));
        using var http = Http.Client(emulator.BaseAddress);
        var url = $"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}&key=k";
        await http.FetchAsync(url);
        await http.FetchAsync(url);

        var exhausted = await http.FetchAsync(url);
        time.SetUtcNow(DateTimeOffset.Parse(justBefore, System.Globalization.CultureInfo.InvariantCulture));
        var stillExhausted = await http.FetchAsync(url);
        time.SetUtcNow(DateTimeOffset.Parse(midnight, System.Globalization.CultureInfo.InvariantCulture));
        var afterMidnight = await http.FetchAsync(url);

        Assert.Equal((403, "quotaExceeded"), (exhausted.Code, YouTubeListingTests.Reason(exhausted)));
        Assert.Equal(403, stillExhausted.Code);
        Assert.Equal(200, afterMidnight.Code);
        Assert.Equal(1, emulator.QuotaUsedToday);
    }

    [Fact]
    public async Task ResetQuota_ForcesANewDay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await YouTubeEmulator.StartAsync(Options(time, budget: 1));
        using var http = Http.Client(emulator.BaseAddress);
        var url = $"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}&key=k";
        await http.FetchAsync(url);
        Assert.Equal(403, (await http.FetchAsync(url)).Code);

        emulator.ResetQuota();

        Assert.Equal(200, (await http.FetchAsync(url)).Code);
    }
}
