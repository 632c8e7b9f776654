using System.Net;
using Microsoft.AspNetCore.Http;
using Pacer.Testing;

namespace Pacer.YouTube.Tests;

/// <summary>
/// The client reads bodies in the shapes YouTube documents (the fixtures, copied from the emulator tests), served as they
/// are by a plain server: the client is checked against the reference, not against the emulator.
/// </summary>
public sealed class FixtureTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "YouTube", name));

    private static Task<TestServer> ServeAsync(int status, string body, string? etag = null) =>
        TestServer.StartAsync((context, _) => TestServer.AnswerAsync(context, status, body, etag));

    [Fact]
    public async Task ChannelsList_IsReadIntoAChannel()
    {
        await using var server = await ServeAsync(200, Fixture("channels.list.json"));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var lookup = await harness.Client.GetChannelsAsync(["UC_x5XG1OV2P6uZZ5FSM9Ttw"]);

        var channel = Assert.Single(lookup.Found);
        Assert.Equal(new YouTubeChannel("UC_x5XG1OV2P6uZZ5FSM9Ttw", "Google for Developers", "@googledevelopers", "UU_x5XG1OV2P6uZZ5FSM9Ttw",
            "n3cQuqiN1Lr6eBaLOwD5wUjW6bA", FromCache: false), channel);
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/youtube/v3/channels", request.Path);
        Assert.Contains("part=snippet,contentDetails", request.Query, StringComparison.Ordinal);
        Assert.Contains("id=UC_x5XG1OV2P6uZZ5FSM9Ttw", request.Query, StringComparison.Ordinal);
        Assert.Equal(YouTubeHarness.ApiKey, request.Headers["X-Goog-Api-Key"]);
        Assert.DoesNotContain(YouTubeHarness.ApiKey, request.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChannelsList_WithoutItems_IsNotFound()
    {
        await using var server = await ServeAsync(200, Fixture("channels.list.unknown.json"));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var lookup = await harness.Client.GetChannelsAsync(["UCnobodynobodynobodynob"]);
        var byHandle = await harness.Client.GetChannelByHandleAsync("nobody");

        Assert.Empty(lookup.Found);
        Assert.Equal(["UCnobodynobodynobodynob"], lookup.Missing);
        Assert.Null(byHandle);
        Assert.Contains("forHandle=%40nobody", server.Requests[^1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlaylistItemsList_IsReadIntoAPage()
    {
        await using var server = await ServeAsync(200, Fixture("playlistItems.list.json"));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var page = await harness.Client.GetPlaylistPageAsync("UU_x5XG1OV2P6uZZ5FSM9Ttw", "EAEaBlBUOkNBVQ");

        Assert.Equal("EAAaBlBUOkNESQ", page.NextPageToken);
        Assert.Equal(6393, page.TotalResults);
        Assert.Equal("Xw6uO0Jm4yT1xM0mI2pTgB0KjaE", page.ETag);
        var video = Assert.Single(page.Items);
        var published = new DateTimeOffset(2024, 5, 14, 17, 0, 8, TimeSpan.Zero);
        Assert.Equal(new PlaylistVideo("2lEBJ-n2JX4", "What's new in Android", published, published, "UC_x5XG1OV2P6uZZ5FSM9Ttw", "Google for Developers", 2), video);
        Assert.Equal("https://www.youtube.com/watch?v=2lEBJ-n2JX4", video.Url);
        var query = server.Requests[0].Query;
        Assert.Contains("part=snippet,contentDetails", query, StringComparison.Ordinal);
        Assert.Contains("maxResults=50", query, StringComparison.Ordinal);
        Assert.Contains("pageToken=EAEaBlBUOkNBVQ", query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VideosList_StatisticsAreNumbers_DurationIsSeconds()
    {
        await using var server = await ServeAsync(200, Fixture("videos.list.json"));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var lookup = await harness.Client.GetVideosAsync(["2lEBJ-n2JX4"]);

        var video = Assert.Single(lookup.Found);
        Assert.Equal(new YouTubeVideo("2lEBJ-n2JX4", "What's new in Android", "UC_x5XG1OV2P6uZZ5FSM9Ttw", "Google for Developers",
            new DateTimeOffset(2024, 5, 14, 17, 0, 8, TimeSpan.Zero), "PT15M51S", 951, 136528, 3211, 212, "Hh4vg2W2NFwE6sT8YlYfFHk3R4U", FromCache: false), video);
        Assert.Contains("part=snippet,statistics,contentDetails", server.Requests[0].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VideosList_HiddenCounts_AreNull()
    {
        var body = Fixture("videos.list.json")
            .Replace("\"likeCount\": \"3211\", ", "", StringComparison.Ordinal)
            .Replace(", \"commentCount\": \"212\"", "", StringComparison.Ordinal);
        Assert.DoesNotContain("likeCount", body, StringComparison.Ordinal);
        await using var server = await ServeAsync(200, body);
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var video = (await harness.Client.GetVideosAsync(["2lEBJ-n2JX4"])).Found.Single();

        Assert.Equal(136528, video.Views);
        Assert.Null(video.Likes);
        Assert.Null(video.Comments);
    }

    [Fact]
    public async Task QuotaExceededBody_IsResourceUnavailable_NotRetried()
    {
        await using var server = await ServeAsync(403, Fixture("error.quotaExceeded.json"));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var error = await Assert.ThrowsAsync<ResourceUnavailableException>(() => harness.Client.GetVideosAsync(["2lEBJ-n2JX4"]));

        Assert.Equal("youtube", error.Resource);
        Assert.Single(server.Requests);
        Assert.True((await harness.ResourceAsync()).QuotaExhausted);
    }

    [Fact]
    public async Task PlaylistNotFoundBody_IsAPermanentError()
    {
        await using var server = await ServeAsync(404, Fixture("error.playlistNotFound.json"));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetPlaylistPageAsync("UUx"));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("playlistNotFound", error.Reason);
        Assert.Equal("youtube.playlistItem", error.Domain);
        Assert.Contains("The playlist identified with the request's playlistId parameter cannot be found.", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task NotModified_WithTheStoredETag_IsServedFromTheStore()
    {
        var body = Fixture("videos.list.json");
        await using var server = await TestServer.StartAsync((context, _) =>
            context.Request.Headers.IfNoneMatch.ToString() == "\"mwGmnhvDqpFlHKM4vZlCP7XoGkQ\""
                ? Task.FromResult(context.Response.StatusCode = StatusCodes.Status304NotModified)
                : TestServer.AnswerAsync(context, 200, body, "\"mwGmnhvDqpFlHKM4vZlCP7XoGkQ\""));
        await using var harness = await YouTubeHarness.StartAsync(server.BaseAddress);

        var first = (await harness.Client.GetVideosAsync(["2lEBJ-n2JX4"])).Found.Single();
        var second = (await harness.Client.GetVideosAsync(["2lEBJ-n2JX4"])).Found.Single();

        Assert.Equal(first with { FromCache = true }, second);
        Assert.Equal(2, server.Requests.Count);
    }
}
