using System.Globalization;
using System.Text.Json;
using Pacer.Emulators;

namespace Pacer.YouTube.Tests;

/// <summary>playlistItems.list paging and videos.list batching against the emulator, and statistics checked against its raw JSON.</summary>
public sealed class UploadsAndVideosTests
{
    [Fact]
    public async Task PlaylistPages_FollowedToTheEnd_ListEveryUploadOnceInOrder()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var channel = harness.Emulator.Channels.MaxBy(c => c.VideoCount)!;
        Assert.True(channel.VideoCount > 100, "the data set should have a channel of three pages or more");

        var (videos, pages) = await AllUploadsAsync(harness.Client, channel.UploadsPlaylistId);

        Assert.Equal(harness.Emulator.GetUploads(channel.Id), videos.Select(v => v.VideoId));
        Assert.Equal((channel.VideoCount + 49) / 50, pages.Count);
        Assert.Equal(pages.Count, harness.Emulator.Counters.Calls(YouTubeMethods.PlaylistItemsList));
        Assert.All(pages, p => Assert.Equal(channel.VideoCount, p.TotalResults));
        Assert.All(videos, v =>
        {
            Assert.Equal(channel.Id, v.ChannelId);
            Assert.NotNull(v.PublishedAt);
            Assert.Equal($"https://www.youtube.com/watch?v={v.VideoId}", v.Url);
        });
        Assert.Equal(Enumerable.Range(0, channel.VideoCount), videos.Select(v => v.Position ?? -1));
    }

    [Fact]
    public async Task GetVideos_HundredTwentyIds_AsksFiftyPerCall()
    {
        await using var harness = await YouTubeHarness.StartAsync(e => e.MinVideosPerChannel = 40);
        var ids = harness.Emulator.Channels.SelectMany(c => harness.Emulator.GetUploads(c.Id)).Take(120).ToList();

        var lookup = await harness.Client.GetVideosAsync([.. ids, "nosuchvideo"]);

        Assert.Equal(ids, lookup.Found.Select(v => v.Id));
        Assert.Equal(["nosuchvideo"], lookup.Missing);
        Assert.Equal(3, harness.Emulator.Counters.Calls(YouTubeMethods.VideosList)); // 50 + 50 + 21
    }

    [Fact]
    public async Task GetVideos_Statistics_AreTheNumbersInTheApiStrings()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var ids = harness.Emulator.GetUploads(harness.Emulator.Channels[0].Id).Take(10).ToList();

        var videos = (await harness.Client.GetVideosAsync(ids)).Found;

        // The same videos as raw JSON, read here without the client: counts are strings, durations ISO 8601.
        using var http = new HttpClient { BaseAddress = harness.Emulator.BaseAddress };
        var raw = JsonDocument.Parse(await http.GetStringAsync(
            $"youtube/v3/videos?part=snippet,statistics,contentDetails&id={string.Join(',', ids)}&key={YouTubeHarness.ApiKey}")).RootElement;
        foreach (var item in raw.GetProperty("items").EnumerateArray())
        {
            var video = videos.Single(v => v.Id == item.GetProperty("id").GetString());
            var statistics = item.GetProperty("statistics");
            Assert.Equal(JsonValueKind.String, statistics.GetProperty("viewCount").ValueKind);
            Assert.Equal(long.Parse(statistics.GetProperty("viewCount").GetString()!, CultureInfo.InvariantCulture), video.Views);
            Assert.Equal(long.Parse(statistics.GetProperty("likeCount").GetString()!, CultureInfo.InvariantCulture), video.Likes);
            Assert.Equal(long.Parse(statistics.GetProperty("commentCount").GetString()!, CultureInfo.InvariantCulture), video.Comments);
            var duration = item.GetProperty("contentDetails").GetProperty("duration").GetString();
            Assert.Equal(duration, video.Duration);
            Assert.Equal((long)System.Xml.XmlConvert.ToTimeSpan(duration!).TotalSeconds, video.DurationSeconds);
            Assert.Equal(item.GetProperty("snippet").GetProperty("title").GetString(), video.Title);
            Assert.Equal(DateTimeOffset.Parse(item.GetProperty("snippet").GetProperty("publishedAt").GetString()!, CultureInfo.InvariantCulture), video.PublishedAt);
        }
    }

    [Fact]
    public async Task GetPlaylistPage_UnknownPlaylist_IsAPermanentErrorAfterOneCall()
    {
        await using var harness = await YouTubeHarness.StartAsync();

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetPlaylistPageAsync("UUnosuchplaylistnosuchpl"));

        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("playlistNotFound", error.Reason);
        Assert.Equal("playlistItems.list", error.Operation);
        Assert.DoesNotContain("<code>", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Emulator.Counters.Calls(YouTubeMethods.PlaylistItemsList));
    }

    [Fact]
    public async Task GetPlaylistPage_BadPageToken_IsNotRetried()
    {
        await using var harness = await YouTubeHarness.StartAsync();

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() =>
            harness.Client.GetPlaylistPageAsync(harness.Emulator.Channels[0].UploadsPlaylistId, "not-a-token"));

        Assert.Equal("invalidPageToken", error.Reason);
        Assert.False(error.CredentialRefused);
        Assert.Equal(1, harness.Emulator.Counters.Requests);
    }

    internal static async Task<(List<PlaylistVideo> Videos, List<PlaylistPage> Pages)> AllUploadsAsync(IYouTubeClient client, string playlistId)
    {
        var videos = new List<PlaylistVideo>();
        var pages = new List<PlaylistPage>();
        string? token = null;
        do
        {
            var page = await client.GetPlaylistPageAsync(playlistId, token);
            pages.Add(page);
            videos.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        return (videos, pages);
    }
}
