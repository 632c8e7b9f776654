using Pacer.Emulators;

namespace Pacer.YouTube.Tests;

/// <summary>Server errors and timeouts are tried again, each attempt charged like a call; client errors are not.</summary>
public sealed class RetryTests
{
    [Fact]
    public async Task ServerErrors_AreRetried_EachAttemptChargedAndNothingLost()
    {
        await using var harness = await YouTubeHarness.StartAsync(e => { e.Seed = 5; e.Faults.ServerErrorRate = 0.25; });
        var channel = harness.Emulator.Channels.MaxBy(c => c.VideoCount)!;

        var (videos, pages) = await UploadsAndVideosTests.AllUploadsAsync(harness.Client, channel.UploadsPlaylistId);
        var lookup = await harness.Client.GetVideosAsync(videos.Select(v => v.VideoId));

        Assert.Equal(harness.Emulator.GetUploads(channel.Id), videos.Select(v => v.VideoId));
        Assert.Equal(videos.Count, lookup.Found.Count);
        var counters = harness.Emulator.Counters;
        Assert.True(counters.InjectedServerErrors > 0, "the seed should inject some 500s and 503s");
        var answered = pages.Count + (videos.Count + 49) / 50;
        Assert.Equal(answered + counters.InjectedServerErrors, counters.Requests);
        // Each attempt went through Pacer's handler: charged, like any call.
        Assert.Equal(counters.Requests, (await harness.ResourceAsync()).QuotaUsed);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("failed (HTTP 50", StringComparison.Ordinal) && l.Contains("attempt 2 of 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerErrorsEveryTime_GiveUpAfterMaxAttempts_WithARetryableError()
    {
        await using var harness = await YouTubeHarness.StartAsync(e => e.Faults.ServerErrorRate = 1.0, o => o.MaxAttempts = 3);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]));

        Assert.NotNull(error.StatusCode);
        Assert.True((int)error.StatusCode! >= 500);
        Assert.IsNotAssignableFrom<PermanentJobException>(error);
        Assert.Equal(3, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task Timeouts_AreRetried()
    {
        await using var harness = await YouTubeHarness.StartAsync(
            e => { e.Seed = 3; e.Faults.TimeoutRate = 0.3; },
            o => o.AttemptTimeout = TimeSpan.FromMilliseconds(700));
        var channel = harness.Emulator.Channels.MaxBy(c => c.VideoCount)!;

        var (videos, _) = await UploadsAndVideosTests.AllUploadsAsync(harness.Client, channel.UploadsPlaylistId);

        Assert.Equal(harness.Emulator.GetUploads(channel.Id), videos.Select(v => v.VideoId));
        Assert.True(harness.Emulator.Counters.InjectedTimeouts > 0, "the seed should leave some requests hanging");
    }

    [Fact]
    public async Task TimeoutEveryTime_EndsInATimeoutException()
    {
        await using var harness = await YouTubeHarness.StartAsync(
            e => e.Faults.TimeoutRate = 1.0,
            o => { o.AttemptTimeout = TimeSpan.FromMilliseconds(100); o.MaxAttempts = 2; });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]));

        Assert.Contains("channels.list", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, harness.Emulator.Counters.InjectedTimeouts);
    }

    [Fact]
    public async Task BadRequest_IsNotRetried()
    {
        await using var harness = await YouTubeHarness.StartAsync(e => e.UnknownChannel = YouTubeUnknownChannel.BadRequest);

        await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetPlaylistPageAsync(harness.Emulator.Channels[0].UploadsPlaylistId, "bad"));
        await harness.Client.GetChannelByHandleAsync("@nobody-here");

        Assert.Equal(2, harness.Emulator.Counters.Requests);
    }
}
