using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators.Tests.Fixtures;

namespace Pacer.Emulators.Tests.YouTube;

public sealed class YouTubeFixtureTests : IAsyncLifetime
{
    private YouTubeEmulator _emulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 3 });
        _http = Http.Client(_emulator.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task ChannelsList_HasTheRealShape()
    {
        var reply = await _http.FetchAsync($"youtube/v3/channels?part=snippet,contentDetails,statistics&id={_emulator.Channels[0].Id}&key=k");
        Fixture.AssertSameShape("YouTube/channels.list.json", reply.Json);
    }

    [Fact]
    public async Task ChannelsList_ForAnUnknownChannel_HasTheRealShape()
    {
        var reply = await _http.FetchAsync("youtube/v3/channels?part=snippet&forHandle=@nobody&key=k");
        Fixture.AssertSameShape("YouTube/channels.list.unknown.json", reply.Json);
    }

    [Fact]
    public async Task PlaylistItemsList_AMiddlePage_HasTheRealShape()
    {
        var playlist = _emulator.Channels[0].UploadsPlaylistId;
        var first = await _http.FetchAsync($"youtube/v3/playlistItems?part=snippet,contentDetails,status&playlistId={playlist}&maxResults=2&key=k");
        var second = await _http.FetchAsync($"youtube/v3/playlistItems?part=snippet,contentDetails,status&playlistId={playlist}&maxResults=2&key=k&pageToken={first.Json.GetProperty("nextPageToken").GetString()}");
        Fixture.AssertSameShape("YouTube/playlistItems.list.json", second.Json);
    }

    [Fact]
    public async Task VideosList_HasTheRealShape_StatisticsAsStrings()
    {
        var ids = string.Join(",", _emulator.GetUploads(_emulator.Channels[1].Id).Take(3));
        var reply = await _http.FetchAsync($"youtube/v3/videos?part=snippet,contentDetails,statistics&id={ids}&key=k");
        Fixture.AssertSameShape("YouTube/videos.list.json", reply.Json);
    }

    [Fact]
    public async Task QuotaExceeded_IsTheRealBodyExactly()
    {
        var options = new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20, TimeProvider = new FakeTimeProvider() };
        options.Quota.DailyBudget = 0;
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);

        var reply = await http.FetchAsync("youtube/v3/channels?part=id&forHandle=@x&key=k");

        Fixture.AssertSameJson("YouTube/error.quotaExceeded.json", reply.Body);
    }

    [Fact]
    public async Task PlaylistNotFound_IsTheRealBodyExactly()
    {
        var reply = await _http.FetchAsync("youtube/v3/playlistItems?part=id&playlistId=UUnothing&key=k");
        Fixture.AssertSameJson("YouTube/error.playlistNotFound.json", reply.Body);
    }
}
