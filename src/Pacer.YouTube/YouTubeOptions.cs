namespace Pacer.YouTube;

/// <summary>What the YouTube credential is.</summary>
public enum YouTubeCredentialKind
{
    /// <summary>An API key of a Google Cloud project, sent as the <c>key</c> query parameter (public data only).</summary>
    ApiKey,

    /// <summary>
    /// An OAuth 2 access token, sent as <c>Authorization: Bearer</c>. Pacer does not refresh it: whatever refreshes it
    /// writes the new one where it is read from (it is read again when that place changes).
    /// </summary>
    AccessToken,

    /// <summary>
    /// An OAuth 2 client and a user's refresh token, as the JSON Google's tools save (<c>{"type": "authorized_user",
    /// "client_id", "client_secret", "refresh_token"}</c>, optionally <c>"token_uri"</c>): Pacer asks the token endpoint
    /// for access tokens and refreshes them before they expire. For the user's own data (private videos, their channel).
    /// </summary>
    AuthorizedUser,
}

/// <summary>Which quota cost table the <c>youtube</c> resource charges by.</summary>
public enum YouTubeCostPreset
{
    /// <summary>
    /// The classic table: every call 1 unit of the daily budget (10,000 units), except <c>search.list</c> 100 and
    /// <c>videos.insert</c> 1,600.
    /// </summary>
    Classic,

    /// <summary>
    /// The 2026 scheme: <c>search.list</c> and <c>videos.insert</c> have daily buckets of 100 calls of their own; every
    /// other call costs 1 unit of the shared 10,000. The one resource charges every call 1 unit (see docs/youtube.md).
    /// </summary>
    Buckets2026,
}

/// <summary>
/// Settings of the YouTube client (<c>services.AddYouTube(o => ...)</c>). Read and validated once, when <c>AddYouTube</c>
/// is called: a bad value throws there, naming the setting and the fix. The credential is read when the host starts.
/// </summary>
public sealed class YouTubeOptions
{
    /// <summary>Where the API lives; point it at an emulator in tests (<c>http://127.0.0.1:PORT/</c>). Default <c>https://www.googleapis.com/</c>.</summary>
    public Uri BaseAddress { get; set; } = YouTubeDefaults.BaseAddress;

    /// <summary>What the credential is. Default <see cref="YouTubeCredentialKind.ApiKey"/>.</summary>
    public YouTubeCredentialKind CredentialKind { get; set; } = YouTubeCredentialKind.ApiKey;

    /// <summary>
    /// The configuration key that holds the credential (appsettings.json, <c>dotnet user-secrets</c>, any configuration
    /// provider). Looked at first. Default <c>YouTube:ApiKey</c>, <c>YouTube:AccessToken</c> for an access token,
    /// <c>YouTube:AuthorizedUser</c> for an authorized-user credential.
    /// </summary>
    public string? CredentialConfigurationKey { get; set; }

    /// <summary>
    /// The environment variable that holds the credential, looked at second. Default <c>PACER_YOUTUBE_API_KEY</c>,
    /// <c>PACER_YOUTUBE_ACCESS_TOKEN</c> for an access token, <c>PACER_YOUTUBE_AUTHORIZED_USER</c> for an authorized-user credential.
    /// </summary>
    public string? CredentialEnvironmentVariable { get; set; }

    /// <summary>
    /// A file whose whole content (trimmed) is the credential, looked at last, e.g. the
    /// <c>application_default_credentials.json</c> of <c>gcloud auth application-default login</c>. Default none.
    /// </summary>
    public string? CredentialFile { get; set; }

    /// <summary>The Pacer resource every call is charged to. Declared by <c>AddYouTube</c> if the application did not declare it. Default <c>youtube</c>.</summary>
    public string Resource { get; set; } = YouTubeDefaults.Resource;

    /// <summary>The resource's quota when <c>AddYouTube</c> declares it. Default <c>10000/day@America/Los_Angeles</c> (the reset at midnight Pacific).</summary>
    public string Quota { get; set; } = YouTubeDefaults.Quota;

    /// <summary>The cost table the resource charges by (unless the application gave the resource costs of its own). Default <see cref="YouTubeCostPreset.Classic"/>.</summary>
    public YouTubeCostPreset CostPreset { get; set; } = YouTubeCostPreset.Classic;

    /// <summary>
    /// Entries added to (or replacing those of) the preset's cost table, by <c>METHOD /path-prefix</c> as in
    /// <c>Pacer:Resources:NAME:Costs</c>, e.g. <c>{"GET /youtube/v3/videos": 1}</c>. Default none.
    /// </summary>
    public Dictionary<string, int> Costs { get; } = new(StringComparer.Ordinal);

    /// <summary>Attempts per call, the first included: 500, 502, 503, 504, timeouts and network errors are tried again. 1 to 10; default 4.</summary>
    public int MaxAttempts { get; set; } = YouTubeDefaults.MaxAttempts;

    /// <summary>The first retry's delay before jitter; each next one doubles, up to <see cref="RetryMaxDelay"/>. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = YouTubeDefaults.RetryBaseDelay;

    /// <summary>The longest delay between two attempts. Default 32 s (Google's usual maximum backoff).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = YouTubeDefaults.RetryMaxDelay;

    /// <summary>How long one attempt (request and answer's body) may take. Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = YouTubeDefaults.AttemptTimeout;

    /// <summary>
    /// When the resource says "not now" until a time at most this far away (a rate permit, a short pause after a 429), the
    /// call waits and goes on; later than that (the daily quota is used up), <see cref="ResourceUnavailableException"/>
    /// reaches the caller at once. Zero never waits. Default 1 min.
    /// </summary>
    public TimeSpan MaxWaitWhenLimited { get; set; } = YouTubeDefaults.MaxWaitWhenLimited;

    /// <summary>Every problem with these settings, each naming the setting and the fix; empty when they are valid.</summary>
    internal List<string> Problems()
    {
        var problems = new List<string>();
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || BaseAddress.Scheme is not ("http" or "https"))
            problems.Add($"YouTubeOptions.BaseAddress '{BaseAddress}' must be an absolute http or https URL, e.g. https://www.googleapis.com/.");
        else if (!string.IsNullOrEmpty(BaseAddress.Query) || !string.IsNullOrEmpty(BaseAddress.Fragment))
            problems.Add($"YouTubeOptions.BaseAddress '{BaseAddress.GetLeftPart(UriPartial.Path)}' may not have a query or a fragment.");
        if (!Enum.IsDefined(CredentialKind))
            problems.Add($"YouTubeOptions.CredentialKind is {(int)CredentialKind}: use ApiKey, AccessToken or AuthorizedUser.");
        if (CredentialConfigurationKey is { Length: 0 } || CredentialEnvironmentVariable is { Length: 0 } || CredentialFile is { Length: 0 })
            problems.Add("YouTubeOptions.CredentialConfigurationKey, CredentialEnvironmentVariable and CredentialFile may not be empty strings: leave them null for the defaults.");
        if (string.IsNullOrWhiteSpace(Resource) || Resource.Contains('{', StringComparison.Ordinal))
            problems.Add($"YouTubeOptions.Resource '{Resource}' must be a resource name such as youtube (a template with {{Field}} parts cannot be charged by a client).");
        if (string.IsNullOrWhiteSpace(Quota))
            problems.Add("YouTubeOptions.Quota is empty: write a quota such as 10000/day@America/Los_Angeles.");
        if (!Enum.IsDefined(CostPreset))
            problems.Add($"YouTubeOptions.CostPreset is {(int)CostPreset}: use Classic or Buckets2026.");
        foreach (var (pattern, cost) in Costs)
        {
            if (cost < 1)
                problems.Add($"YouTubeOptions.Costs['{pattern}'] is {cost}: a call costs at least 1 unit.");
        }
        if (MaxAttempts is < 1 or > 10)
            problems.Add($"YouTubeOptions.MaxAttempts is {MaxAttempts}: use 1 (no retry) to 10 (default 4).");
        if (RetryBaseDelay < TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromMinutes(1))
            problems.Add($"YouTubeOptions.RetryBaseDelay is {RetryBaseDelay}: use 0 to 1 minute (default 1 s).");
        if (RetryMaxDelay < RetryBaseDelay || RetryMaxDelay > TimeSpan.FromMinutes(10))
            problems.Add($"YouTubeOptions.RetryMaxDelay is {RetryMaxDelay}: use RetryBaseDelay to 10 minutes (default 32 s).");
        if (AttemptTimeout < TimeSpan.FromMilliseconds(10) || AttemptTimeout > TimeSpan.FromHours(1))
            problems.Add($"YouTubeOptions.AttemptTimeout is {AttemptTimeout}: use 10 ms to 1 hour (default 30 s).");
        if (MaxWaitWhenLimited < TimeSpan.Zero || MaxWaitWhenLimited > TimeSpan.FromHours(1))
            problems.Add($"YouTubeOptions.MaxWaitWhenLimited is {MaxWaitWhenLimited}: use 0 to 1 hour (default 1 min).");
        return problems;
    }

    internal string ConfigurationKeyOrDefault => CredentialConfigurationKey ?? CredentialKind switch
    {
        YouTubeCredentialKind.AccessToken => "YouTube:AccessToken",
        YouTubeCredentialKind.AuthorizedUser => "YouTube:AuthorizedUser",
        _ => "YouTube:ApiKey",
    };

    internal string EnvironmentVariableOrDefault => CredentialEnvironmentVariable ?? CredentialKind switch
    {
        YouTubeCredentialKind.AccessToken => "PACER_YOUTUBE_ACCESS_TOKEN",
        YouTubeCredentialKind.AuthorizedUser => "PACER_YOUTUBE_AUTHORIZED_USER",
        _ => "PACER_YOUTUBE_API_KEY",
    };
}

internal static class YouTubeDefaults
{
    public static readonly Uri BaseAddress = new("https://www.googleapis.com/");
    public const string Resource = "youtube";
    public const string Quota = "10000/day@America/Los_Angeles";
    public const int MaxAttempts = 4;
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(32);
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxWaitWhenLimited = TimeSpan.FromMinutes(1);
}
