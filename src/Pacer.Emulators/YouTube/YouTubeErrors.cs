using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.YouTube;

/// <summary>The YouTube Data API's error bodies, with the messages, domains and reasons the real service uses.</summary>
internal static class YouTubeErrors
{
    public const string QuotaMessage =
        "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.";

    public static YouTubeAnswer QuotaExceeded() => Error(403, QuotaMessage, "youtube.quota", "quotaExceeded");

    public static YouTubeAnswer MissingKey() =>
        Error(403, "The request is missing a valid API key.", "global", "forbidden", status: "PERMISSION_DENIED");

    public static YouTubeAnswer InvalidKey() =>
        Error(400, "API key not valid. Please pass a valid API key.", "global", "badRequest", status: "INVALID_ARGUMENT",
            details: [new GoogleErrorInfo("API_KEY_INVALID", "googleapis.com", new Dictionary<string, string> { ["service"] = "youtube.googleapis.com" })]);

    public static YouTubeAnswer InvalidCredentials() =>
        Error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "global", "authError", status: "UNAUTHENTICATED");

    /// <summary>An OAuth token whose user did not grant a YouTube scope.</summary>
    public static YouTubeAnswer InsufficientScopes(IReadOnlySet<string> accepted) =>
        new(403, new GoogleError(new GoogleErrorBody(403, GoogleScopes.InsufficientMessage,
            [new GoogleErrorItem("Insufficient Permission", "global", "insufficientPermissions")], "PERMISSION_DENIED",
            [GoogleScopes.Insufficient("youtube.googleapis.com")])), ETag: null)
        {
            Challenge = GoogleScopes.Challenge(accepted),
        };

    /// <summary>A request that needs a user (<c>mine=true</c>) made without an OAuth token.</summary>
    public static YouTubeAnswer LoginRequired() =>
        Error(401, "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "global", "required", status: "UNAUTHENTICATED");

    public static YouTubeAnswer Required(string parameter) => Error(400, $"Required parameter: {parameter}", "global", "required");

    public static YouTubeAnswer UnknownPart(string part) => Error(400, $"'{part}'", "youtube.part", "unknownPart");

    public static YouTubeAnswer NoFilter(string expected) =>
        Error(400, $"No filter selected. Expected one of: {expected}", "youtube.parameter", "missingRequiredParameter");

    public static YouTubeAnswer Incompatible(IEnumerable<string> parameters) =>
        Error(400, $"Incompatible parameters specified in the request: {string.Join(", ", parameters)}", "youtube.parameter", "incompatibleParameters");

    public static YouTubeAnswer InvalidRange(string value, int min, int max) =>
        Error(400, $"Invalid value '{value}'. Values must be within the range: [{min}, {max}]", "youtube.parameter", "invalidParameter");

    public static YouTubeAnswer TooManyIds(int max) =>
        Error(400, $"The request specifies more than {max} ids.", "youtube.parameter", "invalidParameter");

    public static YouTubeAnswer InvalidPageToken() =>
        Error(400, "The request specifies an invalid page token.", "youtube.parameter", "invalidPageToken");

    public static YouTubeAnswer PlaylistNotFound() =>
        Error(404, "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.", "youtube.playlistItem", "playlistNotFound");

    public static YouTubeAnswer ChannelNotFound() =>
        Error(400, "The channel identified with the request's filter parameter cannot be found.", "youtube.channel", "channelNotFound");

    public static YouTubeAnswer NotFound() => Error(404, "Not Found", "global", "notFound");

    public static YouTubeAnswer Injected(int statusCode) => statusCode switch
    {
        429 => Error(429, "Resource has been exhausted (e.g. check quota).", "global", "rateLimitExceeded", status: "RESOURCE_EXHAUSTED"),
        503 => Error(503, "The service is currently unavailable.", "global", "backendError", status: "UNAVAILABLE"),
        _ => Error(statusCode, "Backend Error", "global", "backendError"),
    };

    private static YouTubeAnswer Error(int code, string message, string domain, string reason, string? status = null, IReadOnlyList<object>? details = null) =>
        new(code, new GoogleError(new GoogleErrorBody(code, message, [new GoogleErrorItem(message, domain, reason)], status, details)), ETag: null);
}

/// <summary>What a method answers: a status, a body, and the etag that <c>If-None-Match</c> is compared with (successes only).</summary>
internal readonly record struct YouTubeAnswer(int StatusCode, object Body, string? ETag)
{
    /// <summary>A <c>WWW-Authenticate</c> header to send with it.</summary>
    public string? Challenge { get; init; }
}
