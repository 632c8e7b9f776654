using Pacer.Emulators.Hosting;
using Pacer.Emulators.YouTube;

namespace Pacer.Emulators;

/// <summary>A channel of the emulated data set, as tests and the admin endpoint see it.</summary>
public sealed record YouTubeChannelInfo(string Id, string Handle, string Username, string Title, string UploadsPlaylistId, int VideoCount);

/// <summary>
/// A local YouTube Data API v3 (<c>/youtube/v3/channels</c>, <c>playlistItems</c>, <c>videos</c>, <c>search</c>) over a
/// seeded data set, with etags and 304s, a daily quota with the real error bodies, and injected faults. Point a client's
/// base address at <see cref="BaseAddress"/>. Changes (new uploads, statistics) are made through this object or the
/// <c>/_emulator</c> endpoints; see docs/emulators.md.
/// </summary>
public sealed class YouTubeEmulator : IAsyncDisposable
{
    private readonly YouTubeDataSet _data;
    private readonly YouTubeQuota _quota;
    private readonly OAuthEndpoints _oauth;
    private EmulatorHost _host = null!;

    private YouTubeEmulator(YouTubeEmulatorOptions options)
    {
        Counters = new YouTubeCounters();
        _data = new YouTubeDataSet(options);
        _quota = new YouTubeQuota(options.Quota, options.TimeProvider, Counters);
        _oauth = new OAuthEndpoints(options.RefreshTokens, options.AccessTokenLifetime, "https://www.googleapis.com/auth/youtube.readonly",
            options.TimeProvider, Counters);
    }

    /// <summary>The emulator's root, such as <c>http://127.0.0.1:41234/</c>; API paths start with <c>youtube/v3/</c>.</summary>
    public Uri BaseAddress => _host.BaseAddress;

    /// <summary>The OAuth token endpoint, <c>{BaseAddress}token</c>: the <c>token_uri</c> of an authorized-user credential.</summary>
    public Uri TokenEndpoint => new(_host.BaseAddress, OAuthEndpoints.TokenPath.TrimStart('/'));

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

    /// <summary>The OAuth consent page, <c>{BaseAddress}o/oauth2/auth</c>: the <c>auth_uri</c> of an OAuth client's secret file.</summary>
    public Uri AuthorizationEndpoint => new(_host.BaseAddress, OAuthEndpoints.AuthorizationPath.TrimStart('/'));

    /// <summary>Whether the emulated user refuses on the consent page (the redirect then carries <c>error=access_denied</c>). Default false.</summary>
    public bool RefuseConsent
    {
        get => _oauth.RefuseConsent;
        set => _oauth.RefuseConsent = value;
    }

    /// <summary>
    /// Refuses every access token the token endpoint issued so far (401), leaving the refresh tokens valid: what a client
    /// sees when a token is refused before it expires by the client's clock (revoked, or the clocks disagree).
    /// </summary>
    public void RevokeAccessTokens() => _oauth.RevokeAccessTokens();

    /// <summary>Revokes a refresh token, as a user removing the app's access does: the token endpoint refuses it, and the API the access tokens issued for it.</summary>
    public void RevokeRefreshToken(string refreshToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(refreshToken);
        _oauth.Revoke(refreshToken);
    }

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
        var emulator = new YouTubeEmulator(options);
        var api = new YouTubeApi(options, emulator._data, emulator._quota, emulator.Counters, emulator._oauth) { Emulator = emulator };
        emulator._host = await EmulatorHost.StartAsync(options, api, emulator.Counters, cancellationToken);
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

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static YouTubeChannelInfo Describe(ChannelState state) => new(
        state.Channel.Id, state.Channel.Handle, state.Channel.Username, state.Channel.Title, state.Channel.UploadsPlaylistId, state.Uploads.Length);
}
