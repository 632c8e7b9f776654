using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pacer.Emulators.Tests.YouTube;

public sealed partial class YouTubeListingTests : IAsyncLifetime
{
    private YouTubeEmulator _emulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { Seed = 7 });
        _http = Http.Client(_emulator.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task PlaylistItems_WalkingEveryChannelsPages_ReturnsEachUploadExactlyOnceNewestFirst()
    {
        Assert.Equal(32, _emulator.Channels.Count);
        foreach (var channel in _emulator.Channels)
        {
            var seen = new List<string>();
            var published = new List<DateTimeOffset>();
            string? token = null;
            var pages = 0;
            do
            {
                var reply = await _http.FetchAsync($"youtube/v3/playlistItems?part=snippet,contentDetails&playlistId={channel.UploadsPlaylistId}&maxResults=50&key=k"
                    + (token is null ? "" : $"&pageToken={token}"));
                Assert.True(reply.Code == 200, reply.ToString());
                pages++;
                Assert.Equal(channel.VideoCount, reply.Json.GetProperty("pageInfo").GetProperty("totalResults").GetInt32());
                foreach (var item in reply.Json.GetProperty("items").EnumerateArray())
                {
                    Assert.Equal(seen.Count, item.GetProperty("snippet").GetProperty("position").GetInt32());
                    seen.Add(item.GetProperty("contentDetails").GetProperty("videoId").GetString()!);
                    published.Add(item.GetProperty("contentDetails").GetProperty("videoPublishedAt").GetDateTimeOffset());
                }
                token = reply.Json.TryGetProperty("nextPageToken", out var next) ? next.GetString() : null;
            }
            while (token is not null);

            Assert.Equal(channel.VideoCount, seen.Count);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.Equal(_emulator.GetUploads(channel.Id), seen);
            Assert.Equal(published.OrderDescending(), published);
            Assert.Equal((channel.VideoCount + 49) / 50, pages);
        }
        Assert.InRange(_emulator.Channels.Min(c => c.VideoCount), 20, 500);
        Assert.InRange(_emulator.Channels.Max(c => c.VideoCount), 20, 500);
    }

    [Fact]
    public async Task PlaylistItems_MaxResults_DefaultsToFiveAndZeroGivesNoItems()
    {
        var playlist = _emulator.Channels[0].UploadsPlaylistId;

        var byDefault = await _http.FetchAsync($"youtube/v3/playlistItems?part=contentDetails&playlistId={playlist}&key=k");
        var none = await _http.FetchAsync($"youtube/v3/playlistItems?part=contentDetails&playlistId={playlist}&maxResults=0&key=k");
        var tooMany = await _http.FetchAsync($"youtube/v3/playlistItems?part=contentDetails&playlistId={playlist}&maxResults=51&key=k");

        Assert.Equal(5, byDefault.Json.GetProperty("items").GetArrayLength());
        Assert.Equal(5, byDefault.Json.GetProperty("pageInfo").GetProperty("resultsPerPage").GetInt32());
        Assert.Equal(0, none.Json.GetProperty("items").GetArrayLength());
        Assert.False(none.Json.TryGetProperty("nextPageToken", out _));
        Assert.Equal(400, tooMany.Code);
        Assert.Equal("invalidParameter", Reason(tooMany));
    }

    [Fact]
    public async Task PlaylistItems_SecondPage_HasPreviousTokenBackToTheFirst()
    {
        var playlist = _emulator.Channels[0].UploadsPlaylistId;
        var first = await _http.FetchAsync($"youtube/v3/playlistItems?part=id&playlistId={playlist}&maxResults=3&key=k");
        var second = await _http.FetchAsync($"youtube/v3/playlistItems?part=id&playlistId={playlist}&maxResults=3&key=k&pageToken={first.Json.GetProperty("nextPageToken").GetString()}");
        var back = await _http.FetchAsync($"youtube/v3/playlistItems?part=id&playlistId={playlist}&maxResults=3&key=k&pageToken={second.Json.GetProperty("prevPageToken").GetString()}");

        Assert.False(first.Json.TryGetProperty("prevPageToken", out _));
        Assert.Equal(first.Body, back.Body);
        Assert.NotEqual(first.ETag, second.ETag);
    }

    [Fact]
    public async Task PlaylistItems_UnknownPlaylistOrBadToken_AnswerTheDocumentedErrors()
    {
        var unknown = await _http.FetchAsync("youtube/v3/playlistItems?part=snippet&playlistId=UUxxxxxxxxxxxxxxxxxxxxxx&key=k");
        var badToken = await _http.FetchAsync($"youtube/v3/playlistItems?part=snippet&playlistId={_emulator.Channels[0].UploadsPlaylistId}&pageToken=nonsense&key=k");
        var noPlaylist = await _http.FetchAsync("youtube/v3/playlistItems?part=snippet&key=k");
        var noPart = await _http.FetchAsync($"youtube/v3/playlistItems?playlistId={_emulator.Channels[0].UploadsPlaylistId}&key=k");
        var badPart = await _http.FetchAsync($"youtube/v3/playlistItems?part=snippets&playlistId={_emulator.Channels[0].UploadsPlaylistId}&key=k");

        Assert.Equal((404, "playlistNotFound"), (unknown.Code, Reason(unknown)));
        Assert.Equal("youtube.playlistItem", unknown.Json.GetProperty("error").GetProperty("errors")[0].GetProperty("domain").GetString());
        Assert.Equal((400, "invalidPageToken"), (badToken.Code, Reason(badToken)));
        Assert.Equal((400, "missingRequiredParameter"), (noPlaylist.Code, Reason(noPlaylist)));
        Assert.Equal((400, "required"), (noPart.Code, Reason(noPart)));
        Assert.Equal((400, "unknownPart"), (badPart.Code, Reason(badPart)));
    }

    [Fact]
    public async Task Channels_ByIdHandleOrUsername_GiveTheUploadsPlaylist()
    {
        var channel = _emulator.Channels[3];
        var other = _emulator.Channels[4];

        var byIds = await _http.FetchAsync($"youtube/v3/channels?part=contentDetails,snippet&id={channel.Id},{other.Id}&key=k");
        var byHandle = await _http.FetchAsync($"youtube/v3/channels?part=contentDetails&forHandle={Uri.EscapeDataString(channel.Handle.ToUpperInvariant())}&key=k");
        var byBareHandle = await _http.FetchAsync($"youtube/v3/channels?part=contentDetails&forHandle={channel.Handle[1..]}&key=k");
        var byUsername = await _http.FetchAsync($"youtube/v3/channels?part=contentDetails&forUsername={channel.Username}&key=k");

        Assert.Equal([channel.Id, other.Id], byIds.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        var first = byIds.Json.GetProperty("items")[0];
        Assert.Equal(channel.UploadsPlaylistId, first.GetProperty("contentDetails").GetProperty("relatedPlaylists").GetProperty("uploads").GetString());
        Assert.Equal("UU" + channel.Id[2..], channel.UploadsPlaylistId);
        Assert.Equal(channel.Title, first.GetProperty("snippet").GetProperty("title").GetString());
        Assert.Equal(channel.Handle, first.GetProperty("snippet").GetProperty("customUrl").GetString());
        foreach (var reply in new[] { byHandle, byBareHandle, byUsername })
            Assert.Equal(channel.Id, reply.Json.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Channels_FilterMissingOrTwoFilters_AreRejected()
    {
        var none = await _http.FetchAsync("youtube/v3/channels?part=snippet&key=k");
        var two = await _http.FetchAsync($"youtube/v3/channels?part=snippet&id={_emulator.Channels[0].Id}&forUsername=x&key=k");

        Assert.Equal((400, "missingRequiredParameter"), (none.Code, Reason(none)));
        Assert.Equal((400, "incompatibleParameters"), (two.Code, Reason(two)));
    }

    [Fact]
    public async Task Channels_Unknown_IsAnEmptyListWithoutItemsByDefault()
    {
        var reply = await _http.FetchAsync("youtube/v3/channels?part=contentDetails&id=UCxxxxxxxxxxxxxxxxxxxxxx&key=k");

        Assert.Equal(200, reply.Code);
        Assert.False(reply.Json.TryGetProperty("items", out _));
        Assert.Equal(0, reply.Json.GetProperty("pageInfo").GetProperty("totalResults").GetInt32());
        Assert.Equal("youtube#channelListResponse", reply.Json.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Channels_Unknown_IsA400WhenSwitched()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2, UnknownChannel = YouTubeUnknownChannel.BadRequest });
        using var http = Http.Client(emulator.BaseAddress);

        var unknown = await http.FetchAsync("youtube/v3/channels?part=contentDetails&forHandle=@nobody&key=k");
        var known = await http.FetchAsync($"youtube/v3/channels?part=contentDetails&forHandle={emulator.Channels[1].Handle}&key=k");

        Assert.Equal((400, "channelNotFound"), (unknown.Code, Reason(unknown)));
        Assert.Equal(200, known.Code);
    }

    [Fact]
    public async Task Videos_StatisticsAreStringsAndDurationIsIso8601()
    {
        var ids = _emulator.GetUploads(_emulator.Channels[0].Id).Take(50).ToArray();

        var reply = await _http.FetchAsync($"youtube/v3/videos?part=statistics,contentDetails,snippet&id={string.Join(",", ids)}&key=k");

        Assert.True(reply.Code == 200, reply.ToString());
        var items = reply.Json.GetProperty("items");
        Assert.Equal(ids, items.EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        foreach (var item in items.EnumerateArray())
        {
            foreach (var name in new[] { "viewCount", "likeCount", "favoriteCount", "commentCount" })
            {
                var value = item.GetProperty("statistics").GetProperty(name);
                Assert.Equal(JsonValueKind.String, value.ValueKind);
                Assert.True(long.TryParse(value.GetString(), out _), value.GetString());
            }
            Assert.Matches(Iso8601Duration(), item.GetProperty("contentDetails").GetProperty("duration").GetString());
            Assert.Equal(_emulator.Channels[0].Id, item.GetProperty("snippet").GetProperty("channelId").GetString());
        }
    }

    [Fact]
    public async Task Videos_MoreThanFiftyIds_IsRejectedAndUnknownIdsAreLeftOut()
    {
        var ids = _emulator.GetUploads(_emulator.Channels[0].Id).Take(20).Concat(_emulator.GetUploads(_emulator.Channels[1].Id).Take(20))
            .Concat(_emulator.GetUploads(_emulator.Channels[2].Id).Take(11)).ToArray();

        var tooMany = await _http.FetchAsync($"youtube/v3/videos?part=id&id={string.Join(",", ids)}&key=k");
        var partlyUnknown = await _http.FetchAsync($"youtube/v3/videos?part=id&id={ids[0]},AAAAAAAAAAA&key=k");

        Assert.Equal(51, ids.Length);
        Assert.Equal(400, tooMany.Code);
        Assert.Equal([ids[0]], partlyUnknown.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Search_ByChannel_PagesThroughItsUploadsNewestFirst()
    {
        var channel = _emulator.Channels[5];

        var reply = await _http.FetchAsync($"youtube/v3/search?part=snippet&channelId={channel.Id}&type=video&order=date&maxResults=10&key=k");

        Assert.True(reply.Code == 200, reply.ToString());
        Assert.Equal(_emulator.GetUploads(channel.Id).Take(10), reply.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetProperty("videoId").GetString()));
        Assert.Equal(channel.VideoCount, reply.Json.GetProperty("pageInfo").GetProperty("totalResults").GetInt32());
    }

    [Fact]
    public async Task Ids_LookLikeRealOnes()
    {
        foreach (var channel in _emulator.Channels)
        {
            Assert.Matches(ChannelId(), channel.Id);
            Assert.Matches(Handle(), channel.Handle);
            Assert.All(_emulator.GetUploads(channel.Id), id => Assert.Matches(VideoId(), id));
        }
        var reply = await _http.FetchAsync($"youtube/v3/channels?part=id&id={_emulator.Channels[0].Id}&key=k");
        Assert.Matches(ETag(), reply.ETag);
        Assert.Equal($"\"{reply.ETag}\"", reply.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task SameSeed_GivesTheSameDataAndEtags_AnotherSeedDoesNot()
    {
        await using var same = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { Seed = 7 });
        await using var other = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { Seed = 8 });
        using var sameHttp = Http.Client(same.BaseAddress);
        var url = $"youtube/v3/playlistItems?part=snippet,contentDetails&playlistId={_emulator.Channels[9].UploadsPlaylistId}&maxResults=50&key=k";

        Assert.Equal(_emulator.Channels, same.Channels);
        Assert.Equal((await _http.FetchAsync(url)).Body, (await sameHttp.FetchAsync(url)).Body);
        Assert.Empty(other.Channels.Select(c => c.Id).Intersect(_emulator.Channels.Select(c => c.Id)));
    }

    [Fact]
    public async Task UnknownPath_IsA404InGooglesShape()
    {
        var reply = await _http.FetchAsync("youtube/v3/comments?part=snippet&key=k");

        Assert.Equal((404, "notFound"), (reply.Code, Reason(reply)));
        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }

    internal static string? Reason(Reply reply) =>
        reply.Json.GetProperty("error").GetProperty("errors")[0].GetProperty("reason").GetString();

    [GeneratedRegex("^UC[A-Za-z0-9_-]{21}[AQgw]$")]
    private static partial Regex ChannelId();

    [GeneratedRegex("^[A-Za-z0-9_-]{10}[AEIMQUYcgkosw048]$")]
    private static partial Regex VideoId();

    [GeneratedRegex("^@[a-z0-9._-]{3,30}$")]
    private static partial Regex Handle();

    [GeneratedRegex("^[A-Za-z0-9_-]{27}$")]
    private static partial Regex ETag();

    [GeneratedRegex("^PT(\\d+H)?(\\d+M)?(\\d+S)?$")]
    private static partial Regex Iso8601Duration();
}
