using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacer.GoogleApis;
using Pacer.Secrets;
using Polly;
using Polly.Timeout;

namespace Pacer.YouTube;

/// <summary>
/// <see cref="IYouTubeClient"/> on the named <see cref="HttpClient"/> <see cref="YouTubeServiceCollectionExtensions.HttpClientName"/>,
/// whose handlers charge, pace and cache each call (Pacer's HTTP integration). Each call runs in <see cref="GoogleCallPolicy.Reads"/>:
/// an attempt is the request and the whole body, so a retry is a new call, charged like one.
/// </summary>
internal sealed partial class YouTubeClient : IYouTubeClient, IDisposable
{
    /// <summary>YouTube takes at most 50 ids in one <c>id</c> filter.</summary>
    public const int MaxIdsPerCall = 50;

    /// <summary>Playlist pages are asked at their largest.</summary>
    public const int PageSize = 50;

    internal const string ChannelsList = "channels.list";
    internal const string PlaylistItemsList = "playlistItems.list";
    internal const string VideosList = "videos.list";

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    private readonly IHttpClientFactory _http;
    private readonly YouTubeSettings _settings;
    private readonly SecretWatch _secret;
    private readonly GoogleCallPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private volatile AuthorizedState? _authorized;
    private Secret? _unusable;

    /// <summary>An authorized-user credential and the secret it was made from, swapped whole when the secret changes.</summary>
    private sealed record AuthorizedState(Secret Secret, GoogleAuthorizedUser User);

    public YouTubeClient(
        IHttpClientFactory http, YouTubeSettings settings, IOptions<YouTubeCredential> credential, TimeProvider time, ILoggerFactory loggers,
        IConfiguration? configuration = null)
    {
        _http = http;
        _settings = settings;
        _time = time;
        _logger = loggers.CreateLogger("Pacer.YouTube");
        _policy = new GoogleCallPolicy("YouTube", settings.Calls, time, _logger);
        // Validated: Value throws OptionsValidationException naming where to set it. Read again when that place changes.
        var loaded = credential.Value;
        _secret = new SecretWatch(settings.Secret, loaded.Secret!, configuration, _logger);
        if (loaded.AuthorizedUser is { } user)
            _authorized = new AuthorizedState(loaded.Secret!, user);
    }

    public void Dispose() => _secret.Dispose();

    public async Task<YouTubeLookup<YouTubeChannel>> GetChannelsAsync(IEnumerable<string> channelIds, CancellationToken cancellationToken = default)
    {
        var ids = Ids(channelIds, nameof(channelIds));
        var found = new Dictionary<string, YouTubeChannel>(StringComparer.Ordinal);
        foreach (var batch in ids.Chunk(MaxIdsPerCall))
        {
            foreach (var channel in await ListChannelsAsync("id", string.Join(',', batch.Select(Uri.EscapeDataString)), cancellationToken))
                found.TryAdd(channel.Id, channel);
        }
        return Lookup(ids, found);
    }

    public async Task<YouTubeChannel?> GetChannelByHandleAsync(string handle, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handle);
        var name = handle.Trim();
        var channels = await ListChannelsAsync("forHandle", Uri.EscapeDataString(name.StartsWith('@') ? name : "@" + name), cancellationToken);
        return channels.Count > 0 ? channels[0] : null;
    }

    public async Task<YouTubeChannel?> GetChannelByUsernameAsync(string username, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        var channels = await ListChannelsAsync("forUsername", Uri.EscapeDataString(username.Trim()), cancellationToken);
        return channels.Count > 0 ? channels[0] : null;
    }

    public async Task<YouTubeChannel?> GetMyChannelAsync(CancellationToken cancellationToken = default)
    {
        if (_settings.CredentialKind == YouTubeCredentialKind.ApiKey)
        {
            throw new YouTubeRequestException(
                "The channel of 'mine' is that of the user an OAuth credential is for; an API key has no user. Use an authorized-user credential " +
                "(pacer authorize, then PACER_YOUTUBE_AUTHORIZED_USER) or name the channel by its id or handle.",
                ChannelsList, HttpStatusCode.Unauthorized, "required", "global", credentialRefused: false);
        }
        var channels = await ListChannelsAsync("mine", "true", cancellationToken);
        return channels.Count > 0 ? channels[0] : null;
    }

    public async Task<PlaylistPage> GetPlaylistPageAsync(string playlistId, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(playlistId);
        var query = string.Create(CultureInfo.InvariantCulture,
            $"part=snippet,contentDetails&playlistId={Uri.EscapeDataString(playlistId)}&maxResults={PageSize}");
        if (!string.IsNullOrEmpty(pageToken))
            query += "&pageToken=" + Uri.EscapeDataString(pageToken);
        var (page, fromCache) = await GetAsync(PlaylistItemsList, "youtube/v3/playlistItems", query, YouTubeJson.Default.PlaylistItemListResponse, cancellationToken);
        var items = new List<PlaylistVideo>(page.Items?.Count ?? 0);
        foreach (var item in page.Items ?? [])
        {
            var videoId = item.ContentDetails?.VideoId ?? item.Snippet?.ResourceId?.VideoId;
            if (string.IsNullOrEmpty(videoId))
                continue; // not a video (YouTube lists only videos in uploads; other playlists may hold anything)
            items.Add(new PlaylistVideo(videoId, item.Snippet?.Title ?? "", item.ContentDetails?.VideoPublishedAt, item.Snippet?.PublishedAt,
                item.Snippet?.VideoOwnerChannelId, item.Snippet?.VideoOwnerChannelTitle, item.Snippet?.Position));
        }
        return new PlaylistPage(playlistId, items, string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken,
            page.PageInfo?.TotalResults ?? items.Count, page.Etag, fromCache);
    }

    public async Task<YouTubeLookup<YouTubeVideo>> GetVideosAsync(IEnumerable<string> videoIds, CancellationToken cancellationToken = default)
    {
        var ids = Ids(videoIds, nameof(videoIds));
        var found = new Dictionary<string, YouTubeVideo>(StringComparer.Ordinal);
        foreach (var batch in ids.Chunk(MaxIdsPerCall))
        {
            var query = "part=snippet,statistics,contentDetails&id=" + string.Join(',', batch.Select(Uri.EscapeDataString));
            var (list, fromCache) = await GetAsync(VideosList, "youtube/v3/videos", query, YouTubeJson.Default.VideoListResponse, cancellationToken);
            foreach (var item in list.Items ?? [])
            {
                if (string.IsNullOrEmpty(item.Id))
                    continue;
                var duration = item.ContentDetails?.Duration;
                found.TryAdd(item.Id, new YouTubeVideo(
                    item.Id,
                    item.Snippet?.Title ?? "",
                    item.Snippet?.ChannelId,
                    item.Snippet?.ChannelTitle,
                    item.Snippet?.PublishedAt,
                    duration,
                    IsoDuration.TryParseSeconds(duration, out var seconds) ? seconds : null,
                    item.Statistics?.ViewCount,
                    item.Statistics?.LikeCount,
                    item.Statistics?.CommentCount,
                    item.Etag,
                    fromCache));
            }
        }
        return Lookup(ids, found);
    }

    /// <summary>
    /// <c>channels.list</c> with one filter. Nothing found is an empty list, whether YouTube answers 200 without
    /// <c>items</c> (documented) or 400 <c>channelNotFound</c> (reported since 2026; then for the whole filter, as the
    /// answer to a filter that matched nothing, never for part of a batch).
    /// </summary>
    private async Task<List<YouTubeChannel>> ListChannelsAsync(string filter, string escapedValue, CancellationToken cancellationToken)
    {
        var query = $"part=snippet,contentDetails&{filter}={escapedValue}";
        try
        {
            var (list, fromCache) = await GetAsync(ChannelsList, "youtube/v3/channels", query, YouTubeJson.Default.ChannelListResponse, cancellationToken);
            var channels = new List<YouTubeChannel>(list.Items?.Count ?? 0);
            foreach (var item in list.Items ?? [])
            {
                if (!string.IsNullOrEmpty(item.Id))
                    channels.Add(new YouTubeChannel(item.Id, item.Snippet?.Title ?? "", item.Snippet?.CustomUrl,
                        item.ContentDetails?.RelatedPlaylists?.Uploads, item.Etag, fromCache));
            }
            return channels;
        }
        catch (YouTubeRequestException refused) when (refused is { StatusCode: HttpStatusCode.BadRequest, Reason: "channelNotFound" })
        {
            return [];
        }
    }

    /// <summary>One GET under the read policy: repeated on transient failures, each attempt a call of its own.</summary>
    private async Task<(T Body, bool FromCache)> GetAsync<T>(string operation, string path, string query, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        try
        {
            return await _policy.Reads.ExecuteAsync(
                static (context, state) => state.Client.SendAsync(state.Operation, state.Path, state.Query, state.Type, context.CancellationToken),
                context,
                (Client: this, Operation: operation, Path: path, Query: query, Type: type));
        }
        catch (TimeoutRejectedException timeout)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"YouTube {operation} did not answer within {_settings.Calls.AttemptTimeout.TotalSeconds:0.###} s, {_settings.Calls.MaxAttempts} times; try again later."), timeout);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<(T Body, bool FromCache)> SendAsync<T>(string operation, string path, string query, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var secret = _secret.Current;
        var authorized = _settings.CredentialKind == YouTubeCredentialKind.AuthorizedUser ? Authorized(secret) : null;
        var response = await SendOnceAsync(operation, path, query, secret, authorized, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && authorized is not null)
        {
            // Refused before it expired by this clock: revoked and re-granted, or the clocks disagree. One new token, one more call.
            response.Dispose();
            await authorized.RefreshAsync(operation, cancellationToken);
            response = await SendOnceAsync(operation, path, query, secret, authorized, cancellationToken);
        }
        using (response)
        {
            var fromCache = Revalidated(response);
            if (!response.IsSuccessStatusCode)
                throw await FailureAsync(operation, response, secret, authorized, cancellationToken);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            try
            {
                var body = await JsonSerializer.DeserializeAsync(stream, type, cancellationToken);
                return (body ?? throw new InvalidDataException($"YouTube {operation} answered with an empty JSON body."), fromCache);
            }
            catch (JsonException invalid)
            {
                throw new InvalidDataException($"YouTube {operation} answered with a body that is not its JSON response.", invalid);
            }
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(string operation, string path, string query, Secret secret, GoogleAuthorizedUser? authorized, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path + "?" + query, UriKind.Relative));
        request.Headers.Accept.Add(Json);
        if (_settings.CredentialKind == YouTubeCredentialKind.ApiKey)
        {
            // In a header rather than the key= parameter (both are Google's documented system parameters for an API key,
            // cloud.google.com/apis/docs/system-parameters): a URL ends up in proxies' and servers' logs, and the
            // conditional cache keys answers by URL, so a rotated key would have emptied it. Public data reads the same
            // whatever the key.
            request.Headers.TryAddWithoutValidation(ApiKeyHeader, secret.Value);
        }
        else if (_settings.CredentialKind == YouTubeCredentialKind.AccessToken)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret.Value);
        else if (authorized is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await authorized.AccessTokenAsync(operation, cancellationToken));
            // The token changes every hour; the user does not, and neither do the answers the cache holds for them.
            request.Options.Set(PacerHttpCache.Identity, authorized.Identity);
        }

        var started = _time.GetTimestamp();
        var response = await _http.CreateClient(YouTubeServiceCollectionExtensions.HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var fromCache = Revalidated(response);
        _policy.Answered(operation, request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : "/" + path,
            response.StatusCode, _time.GetElapsedTime(started), fromCache);
        return response;
    }

    /// <summary>
    /// The authorized-user credential of the secret in force; one that cannot be used (a half-written file) leaves the one
    /// before in use, said once.
    /// </summary>
    private GoogleAuthorizedUser Authorized(Secret secret)
    {
        var current = _authorized!;
        if (ReferenceEquals(secret, current.Secret))
            return current.User;
        lock (_lock)
        {
            current = _authorized!;
            if (ReferenceEquals(secret, current.Secret) || ReferenceEquals(secret, _unusable))
                return current.User;
            if (YouTubeCredential.CreateAuthorizedUser(secret, _time, out var problem) is not { } fresh)
            {
                _unusable = secret;
                LogCredentialUnusable(_logger, problem, current.Secret.Source);
                return current.User;
            }
            _authorized = new AuthorizedState(secret, fresh);
            return fresh;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem} Calls keep using the one read before from {Source}")]
    private static partial void LogCredentialUnusable(ILogger logger, string problem, string source);

    /// <summary>Where Google's APIs read an API key sent outside the URL.</summary>
    internal const string ApiKeyHeader = "X-Goog-Api-Key";

    /// <summary>The header Pacer's HTTP integration sets on an answer it served from its store after a 304.</summary>
    private const string CacheHeader = "X-Pacer-Cache";

    private static bool Revalidated(HttpResponseMessage response) =>
        response.Headers.TryGetValues(CacheHeader, out var cache) && cache.Contains("revalidated", StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What a failed answer means for the caller: a server error to try again (<see cref="HttpRequestException"/> with
    /// the status, repeated by the policy), or a refusal that will not change (<see cref="YouTubeRequestException"/>).
    /// Limit answers (429, quota exceeded) never get here: Pacer's handler turned them into <see cref="ResourceUnavailableException"/>.
    /// </summary>
    private async Task<Exception> FailureAsync(string operation, HttpResponseMessage response, Secret secret, GoogleAuthorizedUser? authorized, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        var code = (int)status;
        var error = await GoogleError.ReadAsync(response, cancellationToken);
        var what = error.What.Length == 0 ? code.ToString(CultureInfo.InvariantCulture) : $"{code} {error.What}";
        var message = authorized?.Scrub(error.Message) ?? secret.Scrub(error.Message);
        if (code >= 500)
            return new HttpRequestException($"YouTube {operation} failed ({what}: {message}); try again later.", null, status);
        if (error.DetailReason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" || error.Reason == "insufficientPermissions")
        {
            var fix = _settings.CredentialKind == YouTubeCredentialKind.AuthorizedUser
                ? "Authorize again with one (pacer authorize --client-secret FILE --scope youtube.readonly, adding the other scopes you use, such as spreadsheets) and set the new credential there."
                : "Get a token granted one (youtube.readonly) and set it there.";
            return new YouTubeRequestException(
                $"YouTube refused the credential read from {secret.Source}: its user did not grant it a YouTube scope ({what}: {message}). {fix}",
                operation, status, error.Reason ?? error.DetailReason, error.Domain, credentialRefused: true);
        }
        if (IsCredentialRefused(status, error))
        {
            var kind = _settings.CredentialKind switch
            {
                YouTubeCredentialKind.AccessToken => "access token",
                YouTubeCredentialKind.AuthorizedUser => "access token (just refreshed) of the authorized-user credential",
                _ => "API key",
            };
            var fix = _settings.CredentialKind == YouTubeCredentialKind.AuthorizedUser
                ? "Check that the OAuth client's project may use the YouTube Data API v3 (a missing scope is answered 403, said apart)."
                : "Check that it is right and allowed to use the YouTube Data API v3, then set it there again.";
            return new YouTubeRequestException(
                $"YouTube refused the {kind} read from {secret.Source} ({what}: {message}). {fix}",
                operation, status, error.Reason ?? error.DetailReason, error.Domain, credentialRefused: true);
        }
        return new YouTubeRequestException($"YouTube {operation} refused the request ({what}: {message}).", operation, status, error.Reason, error.Domain, credentialRefused: false);
    }

    private static bool IsCredentialRefused(HttpStatusCode status, GoogleError error) =>
        status == HttpStatusCode.Unauthorized
        || error.DetailReason is "API_KEY_INVALID" or "API_KEY_EXPIRED" or "API_KEY_SERVICE_BLOCKED" or "SERVICE_DISABLED"
        || error.Reason is "keyInvalid" or "keyExpired" or "accessNotConfigured" or "ipRefererBlocked" or "authError"
        || (status == HttpStatusCode.Forbidden && error.Reason is "forbidden" && error.Domain is null or "global" or "usageLimits");

    private static List<string> Ids(IEnumerable<string> ids, string parameter)
    {
        ArgumentNullException.ThrowIfNull(ids, parameter);
        var capacity = ids.TryGetNonEnumeratedCount(out var count) ? count : 0;
        var list = new List<string>(capacity);
        var seen = new HashSet<string>(capacity, StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (string.IsNullOrWhiteSpace(id) || id.Contains(',', StringComparison.Ordinal))
                throw new ArgumentException($"'{id}' is not an id: ids are non-blank and hold no comma.", parameter);
            if (seen.Add(id.Trim()))
                list.Add(id.Trim());
        }
        return list;
    }

    private static YouTubeLookup<T> Lookup<T>(List<string> ids, Dictionary<string, T> found) =>
        new([.. ids.Where(found.ContainsKey).Select(id => found[id])], [.. ids.Where(id => !found.ContainsKey(id))]);
}
