namespace Pacer.Sheets;

/// <summary>What the Sheets credential is.</summary>
public enum SheetsCredentialKind
{
    /// <summary>
    /// A service account key (the JSON file Google Cloud gives, <c>"type": "service_account"</c>). Access tokens are
    /// obtained, cached and refreshed by Google.Apis.Auth. Share the spreadsheet with the service account's e-mail.
    /// </summary>
    ServiceAccount,

    /// <summary>
    /// An OAuth 2 access token, sent as <c>Authorization: Bearer</c> as it is (not refreshed: read again when its place
    /// changes). The emulator takes any configured token.
    /// </summary>
    AccessToken,

    /// <summary>
    /// An OAuth 2 client and a user's refresh token, as the JSON Google's tools save (<c>{"type": "authorized_user",
    /// "client_id", "client_secret", "refresh_token"}</c>, optionally <c>"token_uri"</c>): Pacer asks the token endpoint
    /// for access tokens and refreshes them. Writes as that user: their own spreadsheets, no sharing with a service account.
    /// </summary>
    AuthorizedUser,
}

/// <summary>
/// Settings of the Sheets client (<c>services.AddSheets(o => ...)</c>). Read and validated once, when <c>AddSheets</c>
/// is called: a bad value throws there, naming the setting and the fix. The credential is read when the host starts.
/// </summary>
public sealed class SheetsOptions
{
    /// <summary>Where the API lives; point it at an emulator in tests. Default <c>https://sheets.googleapis.com/</c>.</summary>
    public Uri BaseAddress { get; set; } = SheetsDefaults.BaseAddress;

    /// <summary>What the credential is. Default <see cref="SheetsCredentialKind.ServiceAccount"/>.</summary>
    public SheetsCredentialKind CredentialKind { get; set; } = SheetsCredentialKind.ServiceAccount;

    /// <summary>
    /// The configuration key that holds the credential (the service account JSON, or the token), looked at first.
    /// Default <c>Sheets:ServiceAccount</c>, <c>Sheets:AccessToken</c> for an access token, <c>Sheets:AuthorizedUser</c>
    /// for an authorized-user credential.
    /// </summary>
    public string? CredentialConfigurationKey { get; set; }

    /// <summary>
    /// The environment variable that holds the credential, looked at second. Default <c>PACER_SHEETS_SERVICE_ACCOUNT</c>
    /// (the JSON itself), <c>PACER_SHEETS_ACCESS_TOKEN</c>, or <c>PACER_SHEETS_AUTHORIZED_USER</c> (the JSON itself).
    /// </summary>
    public string? CredentialEnvironmentVariable { get; set; }

    /// <summary>A file whose whole content is the credential (a service account key file), looked at last. Default none.</summary>
    public string? CredentialFile { get; set; }

    /// <summary>The Pacer resource every call is charged to. Declared by <c>AddSheets</c> if the application did not declare it. Default <c>sheets</c>.</summary>
    public string Resource { get; set; } = SheetsDefaults.Resource;

    /// <summary>The resource's rate when <c>AddSheets</c> declares it. Default <c>60/min</c> (Sheets' requests per minute per user).</summary>
    public string Rate { get; set; } = SheetsDefaults.Rate;

    /// <summary>
    /// Attempts per call, the first included. Reads repeat 500, 502, 503, 504, timeouts and network errors; writes repeat
    /// only a failure to connect (a write that may have been applied is never sent again blindly). 1 to 10; default 4.
    /// </summary>
    public int MaxAttempts { get; set; } = SheetsDefaults.MaxAttempts;

    /// <summary>The first retry's delay before jitter; each next one doubles, up to <see cref="RetryMaxDelay"/>. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = SheetsDefaults.RetryBaseDelay;

    /// <summary>The longest delay between two attempts. Default 32 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = SheetsDefaults.RetryMaxDelay;

    /// <summary>How long one attempt (request and answer's body) may take. Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = SheetsDefaults.AttemptTimeout;

    /// <summary>
    /// When the resource says "not now" until a time at most this far away (Sheets' 429 pauses it until the next minute),
    /// the call waits and goes on; a longer wait throws <see cref="ResourceUnavailableException"/>. Zero never waits. Default 70 s.
    /// </summary>
    public TimeSpan MaxWaitWhenLimited { get; set; } = SheetsDefaults.MaxWaitWhenLimited;

    internal List<string> Problems()
    {
        var problems = new List<string>();
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || BaseAddress.Scheme is not ("http" or "https"))
            problems.Add($"SheetsOptions.BaseAddress '{BaseAddress}' must be an absolute http or https URL, e.g. https://sheets.googleapis.com/.");
        else if (!string.IsNullOrEmpty(BaseAddress.Query) || !string.IsNullOrEmpty(BaseAddress.Fragment))
            problems.Add($"SheetsOptions.BaseAddress '{BaseAddress.GetLeftPart(UriPartial.Path)}' may not have a query or a fragment.");
        if (!Enum.IsDefined(CredentialKind))
            problems.Add($"SheetsOptions.CredentialKind is {(int)CredentialKind}: use ServiceAccount, AccessToken or AuthorizedUser.");
        if (CredentialConfigurationKey is { Length: 0 } || CredentialEnvironmentVariable is { Length: 0 } || CredentialFile is { Length: 0 })
            problems.Add("SheetsOptions.CredentialConfigurationKey, CredentialEnvironmentVariable and CredentialFile may not be empty strings: leave them null for the defaults.");
        if (string.IsNullOrWhiteSpace(Resource) || Resource.Contains('{', StringComparison.Ordinal))
            problems.Add($"SheetsOptions.Resource '{Resource}' must be a resource name such as sheets (a template with {{Field}} parts cannot be charged by a client).");
        if (string.IsNullOrWhiteSpace(Rate))
            problems.Add("SheetsOptions.Rate is empty: write a rate such as 60/min.");
        if (MaxAttempts is < 1 or > 10)
            problems.Add($"SheetsOptions.MaxAttempts is {MaxAttempts}: use 1 (no retry) to 10 (default 4).");
        if (RetryBaseDelay < TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromMinutes(1))
            problems.Add($"SheetsOptions.RetryBaseDelay is {RetryBaseDelay}: use 0 to 1 minute (default 1 s).");
        if (RetryMaxDelay < RetryBaseDelay || RetryMaxDelay > TimeSpan.FromMinutes(10))
            problems.Add($"SheetsOptions.RetryMaxDelay is {RetryMaxDelay}: use RetryBaseDelay to 10 minutes (default 32 s).");
        if (AttemptTimeout < TimeSpan.FromMilliseconds(10) || AttemptTimeout > TimeSpan.FromHours(1))
            problems.Add($"SheetsOptions.AttemptTimeout is {AttemptTimeout}: use 10 ms to 1 hour (default 30 s).");
        if (MaxWaitWhenLimited < TimeSpan.Zero || MaxWaitWhenLimited > TimeSpan.FromHours(1))
            problems.Add($"SheetsOptions.MaxWaitWhenLimited is {MaxWaitWhenLimited}: use 0 to 1 hour (default 70 s).");
        return problems;
    }

    internal string ConfigurationKeyOrDefault => CredentialConfigurationKey ?? CredentialKind switch
    {
        SheetsCredentialKind.AccessToken => "Sheets:AccessToken",
        SheetsCredentialKind.AuthorizedUser => "Sheets:AuthorizedUser",
        _ => "Sheets:ServiceAccount",
    };

    internal string EnvironmentVariableOrDefault => CredentialEnvironmentVariable ?? CredentialKind switch
    {
        SheetsCredentialKind.AccessToken => "PACER_SHEETS_ACCESS_TOKEN",
        SheetsCredentialKind.AuthorizedUser => "PACER_SHEETS_AUTHORIZED_USER",
        _ => "PACER_SHEETS_SERVICE_ACCOUNT",
    };
}

/// <summary>One Google Sheets tab as a table sink (<see cref="ISheetsSinkFactory"/>).</summary>
public sealed class SheetsSinkOptions
{
    /// <summary>The spreadsheet's id (from its URL: <c>docs.google.com/spreadsheets/d/ID/edit</c>). Required.</summary>
    public string SpreadsheetId { get; set; } = "";

    /// <summary>The tab's title; the tab is created by the first write that has rows. Required.</summary>
    public string Tab { get; set; } = "";

    /// <summary>
    /// The largest <c>values.append</c> body; bigger batches are split (Google advises at most 2 MB per request). Each
    /// append lands whole or not at all. At least 1,024; default 2,000,000 bytes.
    /// </summary>
    public int MaxPayloadBytes { get; set; } = SheetsDefaults.MaxPayloadBytes;

    /// <summary>A column (by header name) whose cells above <see cref="HighlightAbove"/> are highlighted by a conditional format rule. Default none.</summary>
    public string? HighlightColumn { get; set; }

    /// <summary>The threshold of <see cref="HighlightColumn"/>. Default 1,000,000.</summary>
    public double HighlightAbove { get; set; } = 1_000_000;

    /// <summary>
    /// After an append whose outcome is unknown (it timed out, or the connection broke after it was sent), how long to
    /// wait before reading the key column back to see whether it landed. Default 2 s.
    /// </summary>
    public TimeSpan ReconcileDelay { get; set; } = SheetsDefaults.ReconcileDelay;

    /// <summary>How many unknown outcomes one write reconciles before it gives up and throws (the next run's open reconciles again). 0 to 10; default 3.</summary>
    public int MaxReconciles { get; set; } = 3;

    internal SheetsSinkOptions Validated()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(SpreadsheetId) || SpreadsheetId.Contains('/', StringComparison.Ordinal))
            problems.Add($"SheetsSinkOptions.SpreadsheetId '{SpreadsheetId}' must be a spreadsheet id (the part of its URL after /d/).");
        if (string.IsNullOrWhiteSpace(Tab) || Tab.Length > 100)
            problems.Add($"SheetsSinkOptions.Tab '{Tab}' must be a tab title of 1 to 100 characters.");
        if (MaxPayloadBytes < 1024)
            problems.Add($"SheetsSinkOptions.MaxPayloadBytes is {MaxPayloadBytes}: use at least 1024 (default 2000000).");
        if (HighlightColumn is { } column && string.IsNullOrWhiteSpace(column))
            problems.Add("SheetsSinkOptions.HighlightColumn is blank: name a column, or leave it null.");
        if (!double.IsFinite(HighlightAbove))
            problems.Add("SheetsSinkOptions.HighlightAbove must be a finite number.");
        if (ReconcileDelay < TimeSpan.Zero || ReconcileDelay > TimeSpan.FromMinutes(5))
            problems.Add($"SheetsSinkOptions.ReconcileDelay is {ReconcileDelay}: use 0 to 5 minutes (default 2 s).");
        if (MaxReconciles is < 0 or > 10)
            problems.Add($"SheetsSinkOptions.MaxReconciles is {MaxReconciles}: use 0 to 10 (default 3).");
        if (problems.Count > 0)
            throw new ArgumentException(string.Join(" ", problems));
        return new SheetsSinkOptions
        {
            SpreadsheetId = SpreadsheetId,
            Tab = Tab,
            MaxPayloadBytes = MaxPayloadBytes,
            HighlightColumn = HighlightColumn,
            HighlightAbove = HighlightAbove,
            ReconcileDelay = ReconcileDelay,
            MaxReconciles = MaxReconciles,
        };
    }
}

internal static class SheetsDefaults
{
    public static readonly Uri BaseAddress = new("https://sheets.googleapis.com/");
    public const string Resource = "sheets";
    public const string Rate = "60/min";
    public const int MaxAttempts = 4;
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan RetryMaxDelay = TimeSpan.FromSeconds(32);
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    // A 429 pauses the resource until the next whole minute: up to 60 s, plus a little for pacing behind it.
    public static readonly TimeSpan MaxWaitWhenLimited = TimeSpan.FromSeconds(70);
    public const int MaxPayloadBytes = 2_000_000;
    public static readonly TimeSpan ReconcileDelay = TimeSpan.FromSeconds(2);
    public const string Scope = "https://www.googleapis.com/auth/spreadsheets";
}
