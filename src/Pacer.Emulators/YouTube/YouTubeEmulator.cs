using Pacer.Emulators.Hosting;
using Pacer.Emulators.YouTube;

namespace Pacer.Emulators;

/// <summary>A channel of the emulated data set, as tests and the admin endpoint see it.</summary>
public sealed record YouTubeChannelInfo(string Id, string Handle, string Username, string Title, string UploadsPlaylistId, int VideoCount);

/// <summary>
/// A local YouTube Data API v3 (<c>/youtube/v3/channels</c>, <c>playlistItems</c>, <c>videos</c>, <c>search</c>) over a
/// seeded data set, with etags and 304s, a daily quota with the real error bodies, and injected faults. Point a client's
/// base address at <see cref="GoogleEmulator.BaseAddress"/>. Changes (new uploads, statistics) are made through this object or the
/// <c>/_emulator</c> endpoints; see docs/emulators.md.
/// </summary>
public sealed class YouTubeEmulator : GoogleEmulator
{
    private readonly YouTubeDataSet _data;
    private readonly YouTubeQuota _quota;

    private YouTubeEmulator(YouTubeEmulatorOptions options, YouTubeCounters counters)
        : base(options, "https://www.googleapis.com/auth/youtube.readonly", counters)
    {
        Counters = counters;
        _data = new YouTubeDataSet(options);
        _quota = new YouTubeQuota(options.Quota, options.TimeProvider, Counters);
    }

    /// <summary>
    /// The channel of the user behind every OAuth token (<c>channels.list mine=true</c>; every OAuth user of the emulator
    /// is one user). Null (default): the user has no channel, and <c>mine</c> finds nothing.
    /// </summary>
    public string? MyChannelId
    {
        get => _myChannelId;
        set => _myChannelId = value is null || _data.FindById(value) is not null
            ? value
            : throw new ArgumentException($"No channel '{value}' in this data set.", nameof(value));
    }

    private volatile string? _myChannelId;

    public YouTubeCounters Counters { get; }

    /// <summary>Units of the shared daily budget used in the current quota day.</summary>
    public long QuotaUsedToday => _quota.UsedToday;

    /// <summary>Every channel, in generation order.</summary>
    public IReadOnlyList<YouTubeChannelInfo> Channels => [.. _data.Channels().Select(Describe)];

    /// <summary>Validates the options, generates the data set and starts listening on 127.0.0.1.</summary>
    public static async Task<YouTubeEmulator> StartAsync(YouTubeEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new YouTubeEmulatorOptions();
        OptionsValidation.ThrowIfInvalid(options, options.Faults, options.Quota);
        var emulator = new YouTubeEmulator(options, new YouTubeCounters());
        var api = new YouTubeApi(options, emulator._data, emulator._quota, emulator.Counters, emulator.OAuth) { Emulator = emulator };
        emulator.Host = await EmulatorHost.StartAsync(options, api, emulator.Counters, cancellationToken);
        return emulator;
    }

    /// <summary>A channel's uploads, newest first (their playlist order).</summary>
    public IReadOnlyList<string> GetUploads(string channelId) =>
        _data.FindById(channelId) is { } state
            ? [.. state.Uploads.Select(v => v.Id)]
            : throw new ArgumentException($"No channel '{channelId}' in this data set.", nameof(channelId));

    /// <summary>
    /// Gives <paramref name="videosPerChannel"/> new uploads to round(<paramref name="channelShare"/> x channels) channels,
    /// chosen by the seed; returns their ids. Their etags change; every other channel keeps its own.
    /// </summary>
    public IReadOnlyList<string> AddUploads(double channelShare, int videosPerChannel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channelShare);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channelShare, 1.0);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(videosPerChannel);
        return _data.AddUploads(channelShare, videosPerChannel);
    }

    /// <summary>Gives one channel <paramref name="count"/> new uploads, published now; returns their ids, newest first.</summary>
    public IReadOnlyList<string> AddUploads(string channelId, int count)
    {
        ArgumentNullException.ThrowIfNull(channelId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return _data.AddUploads(channelId, count);
    }

    /// <summary>Raises the view, like and comment counts of round(<paramref name="videoShare"/> x videos) videos chosen by the seed; returns their ids.</summary>
    public IReadOnlyList<string> ChangeStatistics(double videoShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(videoShare);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(videoShare, 1.0);
        return _data.ChangeStatistics(videoShare);
    }

    /// <summary>Raises one video's counts (its etag, its channel's and the lists holding it change).</summary>
    public void ChangeStatistics(string videoId)
    {
        ArgumentNullException.ThrowIfNull(videoId);
        _data.ChangeStatistics(videoId);
    }

    /// <summary>Starts a new quota day now, as midnight Pacific would.</summary>
    public void ResetQuota() => _quota.Reset();


    private static YouTubeChannelInfo Describe(ChannelState state) => new(
        state.Channel.Id, state.Channel.Handle, state.Channel.Username, state.Channel.Title, state.Channel.UploadsPlaylistId, state.Uploads.Length);
}
