using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Pacer.YouTube.Tests;

/// <summary>What the HTTP integration does for the client: the youtube resource, its costs and quota, and conditional requests.</summary>
public sealed class ResourceAndCacheTests
{
    [Fact]
    public async Task UnchangedSecondCall_IsA304ServedFromTheStore_ChangedIsFetchedAgain()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var channel = harness.Emulator.Channels[1];

        var first = (await harness.Client.GetChannelsAsync([channel.Id])).Found.Single();
        var second = (await harness.Client.GetChannelsAsync([channel.Id])).Found.Single();

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first with { FromCache = true }, second);
        Assert.Equal(1, harness.Emulator.Counters.NotModified);

        harness.Emulator.AddUploads(channel.Id, 1);
        var third = (await harness.Client.GetChannelsAsync([channel.Id])).Found.Single();
        Assert.False(third.FromCache);
        Assert.NotEqual(first.ETag, third.ETag);
        Assert.Equal(1, harness.Emulator.Counters.NotModified);
    }

    [Fact]
    public async Task ARotatedKey_KeepsTheCache()
    {
        // Public data reads the same whatever the key: rotating it (a monthly policy, a leaked key) must not cost every
        // cached answer its 304.
        const string next = "AIzaSyNEXT-rotated-key-0123456789abcd";
        await using var harness = await YouTubeHarness.StartAsync(e => e.ApiKeys.Add(next));
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)harness.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var channel = harness.Emulator.Channels[2];
        Assert.False((await harness.Client.GetChannelsAsync([channel.Id])).Found.Single().FromCache);

        configuration["YouTube:ApiKey"] = next;
        configuration.Reload();
        var after = (await harness.Client.GetChannelsAsync([channel.Id])).Found.Single();

        Assert.True(after.FromCache);
        Assert.Equal(1, harness.Emulator.Counters.NotModified);
    }

    [Fact]
    public async Task UnchangedVideosAndPages_AreServedFromTheStoreToo()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var channel = harness.Emulator.Channels[0];
        var ids = harness.Emulator.GetUploads(channel.Id).Take(5).ToList();

        await harness.Client.GetPlaylistPageAsync(channel.UploadsPlaylistId);
        await harness.Client.GetVideosAsync(ids);
        var page = await harness.Client.GetPlaylistPageAsync(channel.UploadsPlaylistId);
        var videos = await harness.Client.GetVideosAsync(ids);

        Assert.True(page.FromCache);
        Assert.All(videos.Found, v => Assert.True(v.FromCache));
        Assert.Equal(ids, videos.Found.Select(v => v.Id));
        Assert.Equal(2, harness.Emulator.Counters.NotModified);
    }

    [Fact]
    public async Task EveryCall_IsChargedToTheYoutubeResource_ThreeOFourCallsIncluded()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var channel = harness.Emulator.Channels[0];

        await harness.Client.GetChannelsAsync([channel.Id]);
        await harness.Client.GetChannelsAsync([channel.Id]); // 304: charged too (the reference: a 304 costs 1 unit, unconfirmed)
        await harness.Client.GetPlaylistPageAsync(channel.UploadsPlaylistId);
        await harness.Client.GetVideosAsync(harness.Emulator.GetUploads(channel.Id).Take(3));

        var resource = await harness.ResourceAsync();
        Assert.Equal("10000/day@America/Los_Angeles", resource.Quota);
        Assert.Equal(4, resource.QuotaUsed);
        Assert.Equal(harness.Emulator.QuotaUsedToday, resource.QuotaUsed);
    }

    [Fact]
    public async Task CostOverride_IsWhatACallCharges()
    {
        await using var harness = await YouTubeHarness.StartAsync(client: o => o.Costs["GET /youtube/v3/videos"] = 5);
        var ids = harness.Emulator.GetUploads(harness.Emulator.Channels[0].Id).Take(2);

        await harness.Client.GetVideosAsync(ids);
        await harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]);

        Assert.Equal(6, (await harness.ResourceAsync()).QuotaUsed);
    }

    [Theory]
    [InlineData(YouTubeCostPreset.Classic, 100, 1600)]
    [InlineData(YouTubeCostPreset.Buckets2026, 1, 1)]
    public async Task CostPreset_BecomesTheResourceCostTable(YouTubeCostPreset preset, int search, int insert)
    {
        await using var harness = await YouTubeHarness.StartAsync(client: o => o.CostPreset = preset);

        var declared = harness.Services.GetRequiredService<IOptions<PacerOptions>>().Value.Resources["youtube"];

        Assert.Equal("10000/day@America/Los_Angeles", declared.Quota);
        Assert.Equal(1, declared.Costs["*"]);
        Assert.Equal(search, declared.Costs.GetValueOrDefault("GET /youtube/v3/search", 1));
        Assert.Equal(insert, declared.Costs.GetValueOrDefault("POST /upload/youtube/v3/videos", 1));
    }

    [Fact]
    public void CostTable_BehindAProxyPrefix_KeepsThePrefix()
    {
        var table = YouTubeSettings.CostTable(YouTubeCostPreset.Classic, new Uri("https://proxy.example/google/"), new Dictionary<string, int>());

        Assert.Equal(100, table["GET /google/youtube/v3/search"]);
    }

    [Fact]
    public async Task ResourceDeclaredByTheApplication_KeepsItsSettings_AndGetsTheCostTable()
    {
        await using var harness = await YouTubeHarness.StartAsync(pacer: p => p.AddResource("youtube", r => { r.Quota = "500/day"; r.Rate = "1000/s"; }));

        var declared = harness.Services.GetRequiredService<IOptions<PacerOptions>>().Value.Resources["youtube"];

        Assert.Equal("500/day", declared.Quota);
        Assert.Equal("1000/s", declared.Rate);
        Assert.Equal(100, declared.Costs["GET /youtube/v3/search"]);
    }

    [Fact]
    public async Task OtherResourceName_IsDeclaredAndCharged()
    {
        await using var harness = await YouTubeHarness.StartAsync(client: o => { o.Resource = "yt-main"; o.Quota = "2000/day@America/Los_Angeles"; });

        await harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]);

        var resource = await harness.ResourceAsync("yt-main");
        Assert.Equal("2000/day@America/Los_Angeles", resource.Quota);
        Assert.Equal(1, resource.QuotaUsed);
    }

    [Fact]
    public async Task QuotaExceeded_SurfacesAsResourceUnavailable_IsNotRetried_AndStopsSpending()
    {
        await using var harness = await YouTubeHarness.StartAsync(e => e.Quota.DailyBudget = 2);
        var id = harness.Emulator.Channels[0].Id;
        await harness.Client.GetChannelsAsync([id]);
        await harness.Client.GetVideosAsync(harness.Emulator.GetUploads(id).Take(1));

        var exhausted = await Assert.ThrowsAsync<ResourceUnavailableException>(() => harness.Client.GetPlaylistPageAsync(harness.Emulator.Channels[0].UploadsPlaylistId));

        Assert.Equal("youtube", exhausted.Resource);
        Assert.Equal(3, harness.Emulator.Counters.Requests);
        Assert.Equal(1, harness.Emulator.Counters.QuotaExceeded);
        var pacific = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        var resetAt = exhausted.RetryAt!.Value;
        Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTime(resetAt, pacific).TimeOfDay); // midnight Pacific
        Assert.InRange(resetAt - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromHours(25));
        var resource = await harness.ResourceAsync();
        Assert.True(resource.QuotaExhausted);

        // Until the reset, the resource itself refuses: nothing more reaches YouTube.
        await Assert.ThrowsAsync<ResourceUnavailableException>(() => harness.Client.GetChannelsAsync([id]));
        Assert.Equal(3, harness.Emulator.Counters.Requests);
    }
}
