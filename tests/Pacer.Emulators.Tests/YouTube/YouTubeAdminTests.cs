using System.Diagnostics;

namespace Pacer.Emulators.Tests.YouTube;

public sealed class YouTubeAdminTests
{
    [Fact]
    public async Task AdminEndpoints_ListChannels_AddUploads_ChangeStatistics_AndResetQuota()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 20, MaxVideosPerChannel = 40 });
        using var http = Http.Client(emulator.BaseAddress);
        var channel = emulator.Channels[2];

        var channels = await http.FetchAsync("_emulator/channels");
        var one = await http.SendJsonAsync(HttpMethod.Post, $"_emulator/uploads?channelId={channel.Id}&count=2", null);
        var share = await http.SendJsonAsync(HttpMethod.Post, "_emulator/uploads?channelShare=0.1&count=1", null);
        var statistics = await http.SendJsonAsync(HttpMethod.Post, "_emulator/statistics?videoShare=0.01", null);
        await http.FetchAsync($"youtube/v3/channels?part=id&id={channel.Id}&key=k");
        var reset = await http.SendJsonAsync(HttpMethod.Post, "_emulator/quota/reset", null);
        var counters = await http.FetchAsync("_emulator/counters");
        var bad = await http.SendJsonAsync(HttpMethod.Post, "_emulator/uploads?channelShare=2", null);
        var unknown = await http.FetchAsync("_emulator/nothing");

        Assert.Equal(20, channels.Json.GetArrayLength());
        Assert.Equal(channel.UploadsPlaylistId, channels.Json[2].GetProperty("uploadsPlaylistId").GetString());
        Assert.Equal(emulator.GetUploads(channel.Id).Take(2), one.Json.GetProperty("videos").Strings());
        Assert.Equal(2, share.Json.GetProperty("channels").GetArrayLength());
        Assert.NotEqual(0, statistics.Json.GetProperty("videos").GetArrayLength());
        Assert.Equal(0, reset.Json.GetProperty("usedToday").GetInt64());
        Assert.Equal(1, counters.Json.GetProperty("calls").GetProperty("channels.list").GetInt64());
        Assert.Equal(1, counters.Json.GetProperty("unitsSpent").GetInt64());
        Assert.Equal(400, bad.Code);
        Assert.Equal(404, unknown.Code);
    }

    [Fact]
    public async Task AdminEndpoints_SetTheOAuthUsersChannel_AndRevokeAGrant()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 3, MaxVideosPerChannel = 20 });
        using var http = Http.Client(emulator.BaseAddress);

        var set = await http.SendJsonAsync(HttpMethod.Post, $"_emulator/mine?channelId={emulator.Channels[1].Id}", null);
        var unknown = await http.SendJsonAsync(HttpMethod.Post, "_emulator/mine?channelId=UCnobodynobodynobodynob", null);
        Assert.Equal((200, emulator.Channels[1].Id), (set.Code, emulator.MyChannelId));
        Assert.Equal(400, unknown.Code);
        await http.SendJsonAsync(HttpMethod.Post, "_emulator/mine", null);
        Assert.Null(emulator.MyChannelId);

        var revoked = await http.SendJsonAsync(HttpMethod.Post, "_emulator/oauth/revoke?refreshToken=1%2F%2Fgone", null);
        var token = await http.PostFormAsync(emulator.TokenEndpoint,
            ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", "1//gone"));
        Assert.Equal(200, revoked.Code);
        Assert.Equal(400, token.Code);
    }

    [Fact]
    public async Task BenchmarkPreset_HasAThousandChannels_AndStartsInSeconds()
    {
        var clock = Stopwatch.StartNew();
        await using var emulator = await YouTubeEmulator.StartAsync(YouTubeEmulatorOptions.Benchmark());
        var started = clock.Elapsed;

        Assert.Equal(YouTubeEmulatorOptions.BenchmarkChannelCount, emulator.Channels.Count);
        Assert.Equal(1000, emulator.Channels.Select(c => c.Handle).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.InRange(emulator.Channels.Average(c => c.VideoCount), 200, 320);
        // About a second alone; the bound leaves room for test projects running side by side on two cores.
        Assert.True(started < TimeSpan.FromSeconds(10), $"Started in {started}.");
    }
}
