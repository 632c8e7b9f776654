using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.YouTube;

/// <summary>
/// <c>/youtube/v3/channels</c>, <c>playlistItems</c>, <c>videos</c> and <c>search</c>. Order of checks, as the real
/// service: credentials (a request without a project costs nothing), then quota (charged before validation, so
/// invalid requests cost too), then the method, then <c>If-None-Match</c>.
/// </summary>
internal sealed class YouTubeApi : IEmulatorApi
{
    private const string PathPrefix = "/youtube/v3/";
    private const int DefaultMaxResults = 5;
    private const int MaxMaxResults = 50;
    private const int MaxIds = 50;
    private const string PageTokenPrefix = "PT:";

    private static readonly IReadOnlySet<string> ChannelParts = new HashSet<string>(StringComparer.Ordinal) { "id", "snippet", "contentDetails", "statistics" };
    private static readonly IReadOnlySet<string> PlaylistItemParts = new HashSet<string>(StringComparer.Ordinal) { "id", "snippet", "contentDetails", "status" };
    private static readonly IReadOnlySet<string> VideoParts = new HashSet<string>(StringComparer.Ordinal) { "id", "snippet", "contentDetails", "statistics", "status" };
    private static readonly IReadOnlySet<string> SearchParts = new HashSet<string>(StringComparer.Ordinal) { "id", "snippet" };
    private static readonly IReadOnlyDictionary<string, string> NoContentRating = new Dictionary<string, string>();

    private readonly YouTubeDataSet _data;
    private readonly YouTubeQuota _quota;
    private readonly YouTubeCounters _counters;
    private readonly HashSet<string> _apiKeys;
    private readonly HashSet<string> _bearerTokens;
    private readonly HashSet<string> _freshETagMethods;
    private readonly YouTubeUnknownChannel _unknownChannel;
    private readonly OAuthEndpoints _oauth;
    private long _freshETagCalls;

    public YouTubeApi(YouTubeEmulatorOptions options, YouTubeDataSet data, YouTubeQuota quota, YouTubeCounters counters, OAuthEndpoints oauth)
    {
        _oauth = oauth;
        _data = data;
        _quota = quota;
        _counters = counters;
        _apiKeys = new HashSet<string>(options.ApiKeys, StringComparer.Ordinal);
        _bearerTokens = new HashSet<string>(options.BearerTokens, StringComparer.Ordinal);
        _freshETagMethods = new HashSet<string>(options.FreshETagMethods, StringComparer.Ordinal);
        _unknownChannel = options.UnknownChannel;
    }

    /// <summary>Set by the emulator: the admin endpoints call back into it.</summary>
    public required YouTubeEmulator Emulator { get; init; }

    public async Task HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var method = HttpMethods.IsGet(request.Method) ? MethodOf(request.Path) : null;
        if (method is null)
        {
            await WriteAsync(context, YouTubeErrors.NotFound(), cancellationToken);
            return;
        }
        _counters.CountCall(method);
        if (Authenticate(request) is { } refused)
        {
            await WriteAsync(context, refused, cancellationToken);
            return;
        }
        if (!_quota.TryCharge(method, out var charge))
        {
            _counters.CountQuotaExceeded();
            await WriteAsync(context, YouTubeErrors.QuotaExceeded(), cancellationToken);
            return;
        }

        var answer = method switch
        {
            YouTubeMethods.ChannelsList => ChannelsList(request.Query, HasBearer(request)),
            YouTubeMethods.PlaylistItemsList => PlaylistItemsList(request.Query),
            YouTubeMethods.VideosList => VideosList(request.Query),
            _ => SearchList(request.Query),
        };
        if (answer.ETag is { } etag && ETags.Matches(request.Headers.IfNoneMatch, etag))
        {
            _quota.SettleNotModified(charge);
            _counters.CountNotModified();
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            context.Response.Headers.ETag = Quoted(etag);
            return;
        }
        await WriteAsync(context, answer, cancellationToken);
    }

    /// <summary>The OAuth token endpoint, as Google serves it on a host of its own: no API latency, faults or quota.</summary>
    public ValueTask<bool> TryHandleOutsideApiAsync(HttpContext context, CancellationToken cancellationToken) =>
        _oauth.TryHandleAsync(context, cancellationToken);

    public Task WriteInjectedFailureAsync(HttpContext context, int statusCode, CancellationToken cancellationToken) =>
        WriteAsync(context, YouTubeErrors.Injected(statusCode), cancellationToken);

    public Task HandleAdminAsync(HttpContext context, PathString path, CancellationToken cancellationToken)
    {
        if (AdminEndpoint.Is(context, "GET", path, "/channels"))
            return AdminEndpoint.OkAsync(context, Emulator.Channels, cancellationToken);
        if (AdminEndpoint.Is(context, "GET", path, "/counters"))
            return AdminEndpoint.OkAsync(context, AdminEndpoint.Counters(_counters), cancellationToken);
        if (AdminEndpoint.Is(context, "POST", path, "/quota/reset"))
        {
            Emulator.ResetQuota();
            return AdminEndpoint.OkAsync(context, new { usedToday = _quota.UsedToday }, cancellationToken);
        }
        if (AdminEndpoint.Is(context, "POST", path, "/uploads"))
            return AddUploadsAsync(context, cancellationToken);
        if (AdminEndpoint.Is(context, "POST", path, "/statistics"))
            return ChangeStatisticsAsync(context, cancellationToken);
        if (AdminEndpoint.Is(context, "POST", path, "/mine"))
        {
            var channelId = AdminEndpoint.Text(context, "channelId");
            if (channelId is not null && _data.FindById(channelId) is null)
                return AdminEndpoint.BadRequestAsync(context, $"No channel '{channelId}'.", cancellationToken);
            Emulator.MyChannelId = channelId;
            return AdminEndpoint.OkAsync(context, new { myChannelId = channelId }, cancellationToken);
        }
        if (AdminEndpoint.Is(context, "POST", path, "/oauth/revoke"))
        {
            if (AdminEndpoint.Text(context, "refreshToken") is not { Length: > 0 } refreshToken)
                return AdminEndpoint.BadRequestAsync(context, "Give refreshToken=... (the refresh token to revoke).", cancellationToken);
            _oauth.Revoke(refreshToken);
            return AdminEndpoint.OkAsync(context, new { revoked = true }, cancellationToken);
        }
        return AdminEndpoint.NotFoundAsync(context, cancellationToken);
    }

    private Task AddUploadsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!AdminEndpoint.TryInt(context, "count", 1, out var count) || count is < 1 or > 1000)
            return AdminEndpoint.BadRequestAsync(context, "count must be 1 to 1000 (default 1).", cancellationToken);
        if (AdminEndpoint.Text(context, "channelId") is { } channelId)
        {
            if (_data.FindById(channelId) is null)
                return AdminEndpoint.BadRequestAsync(context, $"No channel '{channelId}'.", cancellationToken);
            return AdminEndpoint.OkAsync(context, new { videos = Emulator.AddUploads(channelId, count) }, cancellationToken);
        }
        if (!AdminEndpoint.TryShare(context, "channelShare", out var share))
            return AdminEndpoint.BadRequestAsync(context, "Give channelId=UC... or channelShare=0..1, and count.", cancellationToken);
        return AdminEndpoint.OkAsync(context, new { channels = Emulator.AddUploads(share, count) }, cancellationToken);
    }

    private Task ChangeStatisticsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (AdminEndpoint.Text(context, "videoId") is { } videoId)
        {
            if (_data.FindVideo(videoId) is null)
                return AdminEndpoint.BadRequestAsync(context, $"No video '{videoId}'.", cancellationToken);
            Emulator.ChangeStatistics(videoId);
            return AdminEndpoint.OkAsync(context, new { videos = new[] { videoId } }, cancellationToken);
        }
        if (!AdminEndpoint.TryShare(context, "videoShare", out var share))
            return AdminEndpoint.BadRequestAsync(context, "Give videoId=... or videoShare=0..1.", cancellationToken);
        return AdminEndpoint.OkAsync(context, new { videos = Emulator.ChangeStatistics(share) }, cancellationToken);
    }

    private static string? MethodOf(PathString path) => path.Value switch
    {
        PathPrefix + "channels" => YouTubeMethods.ChannelsList,
        PathPrefix + "playlistItems" => YouTubeMethods.PlaylistItemsList,
        PathPrefix + "videos" => YouTubeMethods.VideosList,
        PathPrefix + "search" => YouTubeMethods.SearchList,
        _ => null,
    };

    /// <summary>An OAuth token wins over a key, as with Google's front end; no credential at all is a 403.</summary>
    private YouTubeAnswer? Authenticate(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization["Bearer ".Length..].Trim();
            var accepted = _oauth.IsValid(token) ?? (token.Length > 0 && (_bearerTokens.Count == 0 || _bearerTokens.Contains(token)));
            if (!accepted)
                return YouTubeErrors.InvalidCredentials();
            return _oauth.Allows(token, GoogleScopes.YouTubeRead) ? null : YouTubeErrors.InsufficientScopes(GoogleScopes.YouTubeRead);
        }
        // Google's front end takes an API key from the key parameter or from the X-Goog-Api-Key header.
        var key = One(request.Query, "key") ?? (request.Headers.TryGetValue("X-Goog-Api-Key", out var header) && header.Count == 1 ? header[0] : null);
        if (key is null)
            return YouTubeErrors.MissingKey();
        return _apiKeys.Count == 0 || _apiKeys.Contains(key) ? null : YouTubeErrors.InvalidKey();
    }

    private static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    /// <param name="asUser">Whether an OAuth token (a user) made the request: <c>mine</c> needs one.</param>
    private YouTubeAnswer ChannelsList(IQueryCollection query, bool asUser)
    {
        if (!TryParts(query, ChannelParts, out var parts, out var error) || !TryMaxResults(query, out var maxResults, out error))
            return error;
        string[] filters = ["id", "forHandle", "forUsername", "mine"];
        var given = filters.Where(name => One(query, name) is not null).ToArray();
        if (given.Length == 0)
            return YouTubeErrors.NoFilter("forHandle, forUsername, id, managedByMe, mine");
        if (given.Length > 1)
            return YouTubeErrors.Incompatible(given);

        var value = One(query, given[0])!;
        if (given[0] == "mine" && !asUser)
            return YouTubeErrors.LoginRequired();
        var found = given[0] switch
        {
            "id" => Ids(value).Select(_data.FindById),
            "forHandle" => [_data.FindByHandle(value)],
            // Every OAuth user of the emulator is the same user, who owns MyChannelId (or no channel).
            "mine" => value == "true" && Emulator.MyChannelId is { } mine ? [_data.FindById(mine)] : [],
            _ => [_data.FindByUsername(value)],
        };
        var items = found.OfType<ChannelState>().DistinctBy(s => s.Channel.Index).Select(s => ChannelItem(s, parts)).ToList();
        if (items.Count == 0 && _unknownChannel == YouTubeUnknownChannel.BadRequest)
            return YouTubeErrors.ChannelNotFound();
        // The documented answer for nothing found has no "items" key at all.
        return List(YouTubeMethods.ChannelsList, "youtube#channelListResponse", $"{given[0]}={value}|{Key(parts)}",
            items.Count == 0 ? null : items, items.Select(i => i.Etag), null, null, new PageInfo(items.Count, maxResults));
    }

    private YouTubeAnswer PlaylistItemsList(IQueryCollection query)
    {
        if (!TryParts(query, PlaylistItemParts, out var parts, out var error) || !TryMaxResults(query, out var maxResults, out error))
            return error;
        var playlistId = One(query, "playlistId");
        if (playlistId is null)
            return YouTubeErrors.NoFilter("id, playlistId");
        if (!TryPageToken(query, out var offset))
            return YouTubeErrors.InvalidPageToken();
        if (_data.FindByUploadsPlaylist(playlistId) is not { } state)
            return YouTubeErrors.PlaylistNotFound();

        var uploads = state.Uploads;
        var end = Math.Min(uploads.Length, offset + maxResults);
        var items = new List<PlaylistItemResource>(Math.Max(0, end - offset));
        for (var position = offset; position < end; position++)
            items.Add(PlaylistItem(state, uploads[position], position, parts));
        var (next, previous) = PageTokens(offset, maxResults, uploads.Length);
        return List(YouTubeMethods.PlaylistItemsList, "youtube#playlistItemListResponse", $"{playlistId}|{offset}|{maxResults}|{Key(parts)}",
            items, items.Select(i => i.Etag), next, previous, new PageInfo(uploads.Length, maxResults));
    }

    private YouTubeAnswer VideosList(IQueryCollection query)
    {
        if (!TryParts(query, VideoParts, out var parts, out var error))
            return error;
        var value = One(query, "id");
        if (value is null)
            return YouTubeErrors.NoFilter("chart, id, myRating");
        var ids = Ids(value).ToArray();
        if (ids.Length > MaxIds)
            return YouTubeErrors.TooManyIds(MaxIds);
        var items = ids.Select(_data.FindVideo).OfType<Video>().DistinctBy(v => v.Id).Select(v => VideoItem(v, parts)).ToList();
        return List(YouTubeMethods.VideosList, "youtube#videoListResponse", $"{value}|{Key(parts)}",
            items, items.Select(i => i.Etag), null, null, new PageInfo(items.Count, items.Count));
    }

    /// <summary>Videos only, matched by title; <c>order=viewCount</c> or <c>title</c>, anything else newest first.</summary>
    private YouTubeAnswer SearchList(IQueryCollection query)
    {
        if (!TryParts(query, SearchParts, out var parts, out var error) || !TryMaxResults(query, out var maxResults, out error))
            return error;
        if (!TryPageToken(query, out var offset))
            return YouTubeErrors.InvalidPageToken();
        var channelId = One(query, "channelId");
        var text = One(query, "q");
        var type = One(query, "type");
        var order = One(query, "order");

        IEnumerable<Video> matches = [];
        if (type is null || type.Split(',').Contains("video", StringComparer.Ordinal))
        {
            var channels = channelId is null ? _data.Channels() : _data.FindById(channelId) is { } one ? [one] : [];
            matches = channels.SelectMany(c => c.Uploads);
            if (text is not null)
                matches = matches.Where(v => v.Title.Contains(text, StringComparison.OrdinalIgnoreCase));
        }
        var ordered = (order switch
        {
            "viewCount" => matches.OrderByDescending(v => v.Views),
            "title" => matches.OrderBy(v => v.Title, StringComparer.Ordinal),
            _ => matches.OrderByDescending(v => v.PublishedAt),
        }).ThenBy(v => v.Id, StringComparer.Ordinal).ToList();

        var items = ordered.Skip(offset).Take(maxResults).Select(v => SearchItem(v, parts)).ToList();
        var (next, previous) = PageTokens(offset, maxResults, ordered.Count);
        return List(YouTubeMethods.SearchList, "youtube#searchListResponse", $"{channelId}|{text}|{type}|{order}|{offset}|{maxResults}|{Key(parts)}",
            items, items.Select(i => i.Etag), next, previous, new PageInfo(ordered.Count, maxResults));
    }

    private YouTubeAnswer List<T>(string method, string kind, string request, IReadOnlyList<T>? items, IEnumerable<string> itemETags,
        string? next, string? previous, PageInfo pageInfo)
    {
        var fingerprint = $"{kind}|{request}|{string.Join(",", itemETags)}|{next}|{previous}|{pageInfo.TotalResults}";
        if (_freshETagMethods.Contains(method))
            fingerprint += "|" + Interlocked.Increment(ref _freshETagCalls).ToString(CultureInfo.InvariantCulture);
        var etag = ETags.Of(fingerprint);
        return new YouTubeAnswer(StatusCodes.Status200OK, new ListResponse<T>(kind, etag, next, previous, pageInfo, items), etag);
    }

    private ChannelResource ChannelItem(ChannelState state, IReadOnlySet<string> parts)
    {
        var channel = state.Channel;
        var etag = ETags.Of($"channel|{channel.Id}|{state.Version}|{Key(parts)}");
        return new ChannelResource("youtube#channel", etag, channel.Id,
            parts.Contains("snippet")
                ? new ChannelSnippet(channel.Title, channel.Description, channel.Handle.ToLowerInvariant(), Time(channel.PublishedAt),
                    ChannelThumbnails(channel.Id), new Localized(channel.Title, channel.Description))
                : null,
            parts.Contains("contentDetails") ? new ChannelContentDetails(new RelatedPlaylists("", channel.UploadsPlaylistId)) : null,
            parts.Contains("statistics")
                ? new ChannelStatistics(Count(state.Uploads.Sum(v => v.Views)), Count(channel.Subscribers), false, Count(state.Uploads.Length))
                : null);
    }

    private PlaylistItemResource PlaylistItem(ChannelState state, Video video, int position, IReadOnlySet<string> parts)
    {
        var channel = state.Channel;
        var playlistId = channel.UploadsPlaylistId;
        // The position is part of the representation: an upload ahead of this one changes its etag too.
        var etag = ETags.Of($"playlistItem|{video.Id}|{video.Version}|{position}|{Key(parts)}");
        var published = Time(video.PublishedAt);
        return new PlaylistItemResource("youtube#playlistItem", etag, Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{playlistId}.{video.Id}")),
            parts.Contains("snippet")
                ? new PlaylistItemSnippet(published, channel.Id, video.Title, Description(video, channel), VideoThumbnails(video.Id),
                    channel.Title, playlistId, position, new ResourceId("youtube#video", video.Id), channel.Title, channel.Id)
                : null,
            parts.Contains("contentDetails") ? new PlaylistItemContentDetails(video.Id, published) : null,
            parts.Contains("status") ? new PlaylistItemStatus("public") : null);
    }

    private VideoResource VideoItem(Video video, IReadOnlySet<string> parts)
    {
        var channel = _data.Channel(video.ChannelIndex).Channel;
        var etag = ETags.Of($"video|{video.Id}|{video.Version}|{Key(parts)}");
        var description = Description(video, channel);
        return new VideoResource("youtube#video", etag, video.Id,
            parts.Contains("snippet")
                ? new VideoSnippet(Time(video.PublishedAt), channel.Id, video.Title, description, VideoThumbnails(video.Id), channel.Title,
                    "22", "none", new Localized(video.Title, description))
                : null,
            parts.Contains("contentDetails")
                ? new VideoContentDetails(Duration(video.DurationSeconds), "2d", "hd", "false", true, NoContentRating, "rectangular")
                : null,
            parts.Contains("statistics") ? new VideoStatistics(Count(video.Views), Count(video.Likes), "0", Count(video.Comments)) : null,
            parts.Contains("status") ? new VideoStatus("processed", "public", "youtube", true, true, false) : null);
    }

    private SearchResultResource SearchItem(Video video, IReadOnlySet<string> parts)
    {
        var channel = _data.Channel(video.ChannelIndex).Channel;
        var etag = ETags.Of($"searchResult|{video.Id}|{video.Version}|{Key(parts)}");
        var published = Time(video.PublishedAt);
        return new SearchResultResource("youtube#searchResult", etag, new SearchResultId("youtube#video", video.Id),
            parts.Contains("snippet")
                ? new SearchResultSnippet(published, channel.Id, video.Title, Description(video, channel), VideoThumbnails(video.Id), channel.Title, "none", published)
                : null);
    }

    private static bool TryParts(IQueryCollection query, IReadOnlySet<string> allowed, out IReadOnlySet<string> parts, out YouTubeAnswer error)
    {
        parts = new HashSet<string>(StringComparer.Ordinal);
        error = default;
        var value = One(query, "part");
        if (value is null)
        {
            error = YouTubeErrors.Required("part");
            return false;
        }
        foreach (var part in Ids(value))
        {
            if (!allowed.Contains(part))
            {
                error = YouTubeErrors.UnknownPart(part);
                return false;
            }
            ((HashSet<string>)parts).Add(part);
        }
        return true;
    }

    private static bool TryMaxResults(IQueryCollection query, out int maxResults, out YouTubeAnswer error)
    {
        error = default;
        maxResults = DefaultMaxResults;
        var value = One(query, "maxResults");
        if (value is null)
            return true;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out maxResults) && maxResults <= MaxMaxResults)
            return true;
        error = YouTubeErrors.InvalidRange(value, 0, MaxMaxResults);
        return false;
    }

    /// <summary>Tokens are opaque offsets: like the real ones, a page walk shifts when uploads arrive during it.</summary>
    private static bool TryPageToken(IQueryCollection query, out int offset)
    {
        offset = 0;
        var token = One(query, "pageToken");
        if (token is null)
            return true;
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            return text.StartsWith(PageTokenPrefix, StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(PageTokenPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static (string? Next, string? Previous) PageTokens(int offset, int maxResults, int total)
    {
        if (maxResults == 0)
            return (null, null);
        var next = offset + maxResults < total ? PageToken(offset + maxResults) : null;
        var previous = offset > 0 ? PageToken(Math.Max(0, offset - maxResults)) : null;
        return (next, previous);
    }

    private static string PageToken(int offset) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(PageTokenPrefix + offset.ToString(CultureInfo.InvariantCulture)));

    private static string? One(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[^1]) ? values[^1] : null;

    private static IEnumerable<string> Ids(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Key(IReadOnlySet<string> parts) => string.Join(",", parts.Order(StringComparer.Ordinal));

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Count(long count) => count.ToString(CultureInfo.InvariantCulture);

    private static string Description(Video video, Channel channel) => $"{video.Title}. A {channel.Topic} video from {channel.Title}.";

    /// <summary>ISO 8601, as the API writes it: PT15M51S, PT1H2M, PT45S.</summary>
    internal static string Duration(int seconds)
    {
        if (seconds <= 0)
            return "P0D";
        var text = new StringBuilder("PT");
        var span = TimeSpan.FromSeconds(seconds);
        var hours = (int)span.TotalHours;
        if (hours > 0)
            text.Append(CultureInfo.InvariantCulture, $"{hours}H");
        if (span.Minutes > 0)
            text.Append(CultureInfo.InvariantCulture, $"{span.Minutes}M");
        if (span.Seconds > 0)
            text.Append(CultureInfo.InvariantCulture, $"{span.Seconds}S");
        return text.ToString();
    }

    private static Thumbnails VideoThumbnails(string id) => new(
        new Thumbnail($"https://i.ytimg.com/vi/{id}/default.jpg", 120, 90),
        new Thumbnail($"https://i.ytimg.com/vi/{id}/mqdefault.jpg", 320, 180),
        new Thumbnail($"https://i.ytimg.com/vi/{id}/hqdefault.jpg", 480, 360),
        new Thumbnail($"https://i.ytimg.com/vi/{id}/sddefault.jpg", 640, 480),
        new Thumbnail($"https://i.ytimg.com/vi/{id}/maxresdefault.jpg", 1280, 720));

    private static Thumbnails ChannelThumbnails(string id) => new(
        new Thumbnail($"https://yt3.ggpht.com/emulator/{id}=s88-c-k-c0x00ffffff-no-rj", 88, 88),
        new Thumbnail($"https://yt3.ggpht.com/emulator/{id}=s240-c-k-c0x00ffffff-no-rj", 240, 240),
        new Thumbnail($"https://yt3.ggpht.com/emulator/{id}=s800-c-k-c0x00ffffff-no-rj", 800, 800));

    private static string Quoted(string etag) => $"\"{etag}\"";

    private static async Task WriteAsync(HttpContext context, YouTubeAnswer answer, CancellationToken cancellationToken)
    {
        if (answer.ETag is { } etag)
            context.Response.Headers[HeaderNames.ETag] = Quoted(etag);
        if (answer.Challenge is { } challenge)
            context.Response.Headers.WWWAuthenticate = challenge;
        await EmulatorJson.WriteAsync(context, answer.StatusCode, answer.Body, cancellationToken);
    }
}
