using Pacer.Emulators;

namespace Pacer.YouTube.Tests;

/// <summary>channels.list against the emulator: by ids in batches of 50, by handle, by username, and unknown channels both ways.</summary>
public sealed class ChannelsTests
{
    [Fact]
    public async Task GetChannels_ManyIds_AsksFiftyPerCallAndKeepsTheOrder()
    {
        await using var harness = await YouTubeHarness.StartAsync(e => { e.ChannelCount = 120; e.MaxVideosPerChannel = 20; });
        var channels = harness.Emulator.Channels;
        var ids = channels.Select(c => c.Id).Reverse().ToList();

        var lookup = await harness.Client.GetChannelsAsync(ids);

        Assert.Equal(ids, lookup.Found.Select(c => c.Id));
        Assert.Empty(lookup.Missing);
        Assert.Equal(3, harness.Emulator.Counters.Calls(YouTubeMethods.ChannelsList)); // 50 + 50 + 20
        var first = lookup.Found.Single(c => c.Id == channels[0].Id);
        Assert.Equal(channels[0].Title, first.Title);
        Assert.Equal(channels[0].UploadsPlaylistId, first.UploadsPlaylistId);
        Assert.Equal(channels[0].Handle, first.Handle, ignoreCase: true);
        Assert.False(first.FromCache);
        Assert.False(string.IsNullOrEmpty(first.ETag));
    }

    [Fact]
    public async Task GetChannels_SomeUnknown_FindsTheOthersAndListsTheUnknown()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var known = harness.Emulator.Channels.Take(3).Select(c => c.Id).ToList();
        string[] unknown = ["UCunknownunknownunknown1", "UCunknownunknownunknown2"];

        var lookup = await harness.Client.GetChannelsAsync([unknown[0], .. known, unknown[1], known[0]]);

        Assert.Equal(known, lookup.Found.Select(c => c.Id));
        Assert.Equal(unknown, lookup.Missing);
        Assert.Equal(1, harness.Emulator.Counters.Calls(YouTubeMethods.ChannelsList));
    }

    [Fact]
    public async Task GetChannelByHandle_WithOrWithoutAt_FindsTheChannel()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var channel = harness.Emulator.Channels[2];

        var withAt = await harness.Client.GetChannelByHandleAsync(channel.Handle);
        var without = await harness.Client.GetChannelByHandleAsync(channel.Handle.TrimStart('@').ToUpperInvariant());

        Assert.Equal(channel.Id, withAt?.Id);
        Assert.Equal(channel.Id, without?.Id);
        Assert.Equal(channel.UploadsPlaylistId, withAt?.UploadsPlaylistId);
        Assert.Equal(2, harness.Emulator.Counters.Calls(YouTubeMethods.ChannelsList));
    }

    [Fact]
    public async Task GetChannelByUsername_FindsTheChannel()
    {
        await using var harness = await YouTubeHarness.StartAsync();
        var channel = harness.Emulator.Channels[5];

        var found = await harness.Client.GetChannelByUsernameAsync(channel.Username);

        Assert.Equal(channel.Id, found?.Id);
        Assert.Equal(channel.Title, found?.Title);
    }

    [Theory]
    [InlineData(YouTubeUnknownChannel.EmptyList)]
    [InlineData(YouTubeUnknownChannel.BadRequest)]
    public async Task UnknownChannel_EitherAnswer_IsNotFoundAfterOneCall(YouTubeUnknownChannel behaviour)
    {
        await using var harness = await YouTubeHarness.StartAsync(e => e.UnknownChannel = behaviour);

        var byHandle = await harness.Client.GetChannelByHandleAsync("@nobody-at-all");
        var byUsername = await harness.Client.GetChannelByUsernameAsync("nobodyatall");
        var byId = await harness.Client.GetChannelsAsync(["UCnobodynobodynobodynob"]);

        Assert.Null(byHandle);
        Assert.Null(byUsername);
        Assert.Empty(byId.Found);
        Assert.Equal(["UCnobodynobodynobodynob"], byId.Missing);
        Assert.Equal(3, harness.Emulator.Counters.Calls(YouTubeMethods.ChannelsList)); // a 400 is never repeated
    }

    [Fact]
    public async Task GetChannels_BlankOrCommaId_IsRefusedBeforeAnyCall()
    {
        await using var harness = await YouTubeHarness.StartAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetChannelsAsync(["UCa,UCb"]));
        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetChannelsAsync([" "]));
        Assert.Equal(0, harness.Emulator.Counters.Requests);
    }
}
