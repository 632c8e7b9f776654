namespace Pacer.Emulators.Tests.YouTube;

public sealed class YouTubeETagTests
{
    [Fact]
    public async Task IfNoneMatch_Unchanged_Is304WithEmptyBody_AfterNewUploads_Is200WithNewEtag()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 4 });
        using var http = Http.Client(emulator.BaseAddress);
        var changed = emulator.Channels[1];
        var unchanged = emulator.Channels[2];
        string Page(YouTubeChannelInfo c) => $"youtube/v3/playlistItems?part=snippet,contentDetails&playlistId={c.UploadsPlaylistId}&maxResults=50&key=k";
        string Channel(YouTubeChannelInfo c) => $"youtube/v3/channels?part=snippet,contentDetails&id={c.Id}&key=k";
        var page = await http.FetchAsync(Page(changed));
        var channel = await http.FetchAsync(Channel(changed));
        var otherPage = await http.FetchAsync(Page(unchanged));
        var otherChannel = await http.FetchAsync(Channel(unchanged));

        var notModified = await http.FetchAsync(Page(changed), $"\"{page.ETag}\"");
        var newIds = emulator.AddUploads(changed.Id, 2);
        var afterUpload = await http.FetchAsync(Page(changed), $"\"{page.ETag}\"");
        var channelAfter = await http.FetchAsync(Channel(changed), $"\"{channel.ETag}\"");
        var otherPageAfter = await http.FetchAsync(Page(unchanged), otherPage.ETag);
        var otherChannelAfter = await http.FetchAsync(Channel(unchanged), otherChannel.ETag);

        Assert.Equal(304, notModified.Code);
        Assert.Equal("", notModified.Body);
        Assert.Equal($"\"{page.ETag}\"", notModified.Headers.ETag?.Tag);
        Assert.Equal(200, afterUpload.Code);
        Assert.NotEqual(page.ETag, afterUpload.ETag);
        Assert.Equal(newIds, afterUpload.Json.GetProperty("items").EnumerateArray().Take(2).Select(i => i.GetProperty("contentDetails").GetProperty("videoId").GetString()));
        Assert.Equal(changed.VideoCount + 2, afterUpload.Json.GetProperty("pageInfo").GetProperty("totalResults").GetInt32());
        Assert.Equal(200, channelAfter.Code);
        Assert.NotEqual(channel.Json.GetProperty("items")[0].GetProperty("etag").GetString(), channelAfter.Json.GetProperty("items")[0].GetProperty("etag").GetString());
        Assert.Equal(304, otherPageAfter.Code);
        Assert.Equal(304, otherChannelAfter.Code);
        Assert.Equal(3, emulator.Counters.NotModified);
    }

    [Fact]
    public async Task ChangedStatistics_ChangeTheVideosEtag_OnlyThatOne()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2 });
        using var http = Http.Client(emulator.BaseAddress);
        var ids = emulator.GetUploads(emulator.Channels[0].Id).Take(2).ToArray();
        var before = await http.FetchAsync($"youtube/v3/videos?part=statistics&id={ids[0]},{ids[1]}&key=k");

        emulator.ChangeStatistics(ids[0]);
        var after = await http.FetchAsync($"youtube/v3/videos?part=statistics&id={ids[0]},{ids[1]}&key=k", before.ETag);

        Assert.Equal(200, after.Code);
        string ETagOf(Reply r, int i) => r.Json.GetProperty("items")[i].GetProperty("etag").GetString()!;
        long Views(Reply r) => long.Parse(r.Json.GetProperty("items")[0].GetProperty("statistics").GetProperty("viewCount").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(ETagOf(before, 0), ETagOf(after, 0));
        Assert.Equal(ETagOf(before, 1), ETagOf(after, 1));
        Assert.True(Views(after) > Views(before));
    }

    [Fact]
    public async Task AddUploadsToAShare_ChangesExactlyThoseChannels_Deterministically()
    {
        await using var first = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 40, MaxVideosPerChannel = 30 });
        await using var second = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 40, MaxVideosPerChannel = 30 });
        var before = first.Channels;

        var picked = first.AddUploads(0.05, 3);
        var again = second.AddUploads(0.05, 3);

        Assert.Equal(2, picked.Count);
        Assert.Equal(picked, again);
        Assert.Equal(first.Channels.Select(c => c.VideoCount), second.Channels.Select(c => c.VideoCount));
        foreach (var (old, now) in before.Zip(first.Channels))
            Assert.Equal(old.VideoCount + (picked.Contains(old.Id) ? 3 : 0), now.VideoCount);
    }

    [Fact]
    public async Task FreshETagMethod_NeverAnswers304_OthersStillDo()
    {
        var options = new YouTubeEmulatorOptions { ChannelCount = 1 };
        options.FreshETagMethods.Add(YouTubeMethods.PlaylistItemsList);
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);
        var page = $"youtube/v3/playlistItems?part=snippet&playlistId={emulator.Channels[0].UploadsPlaylistId}&key=k";
        var channel = $"youtube/v3/channels?part=snippet&id={emulator.Channels[0].Id}&key=k";

        var first = await http.FetchAsync(page);
        var second = await http.FetchAsync(page, first.ETag);
        var channelFirst = await http.FetchAsync(channel);
        var channelSecond = await http.FetchAsync(channel, channelFirst.ETag);

        Assert.Equal(200, second.Code);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(first.Json.GetProperty("items").ToString(), second.Json.GetProperty("items").ToString());
        Assert.Equal(304, channelSecond.Code);
    }

    [Fact]
    public async Task Options_FreshETagsForAnUnknownMethod_AreRejectedAtStart()
    {
        var options = new YouTubeEmulatorOptions();
        options.FreshETagMethods.Add("playlistitems.list");

        var error = await Assert.ThrowsAsync<System.ComponentModel.DataAnnotations.ValidationException>(() => YouTubeEmulator.StartAsync(options));

        Assert.Contains("playlistitems.list", error.Message, StringComparison.Ordinal);
    }
}
