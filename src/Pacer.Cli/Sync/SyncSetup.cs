using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Pacer.Sheets;
using Pacer.YouTube;

namespace Pacer.Cli.Sync;

/// <summary>How a command's host sets up the channel-sync recipe: where YouTube and Sheets are, and whether Sheets is needed.</summary>
internal sealed record SyncSetup
{
    /// <summary>The YouTube API's base address (an emulator's, with <c>--api-base</c>); null for Google's.</summary>
    public Uri? YouTubeBase { get; init; }

    /// <summary>The Sheets API's base address; null for Google's.</summary>
    public Uri? SheetsBase { get; init; }

    /// <summary>Whether to set up Sheets (only when a destination needs it, so a CSV sync needs no Sheets credential).</summary>
    public bool Sheets { get; init; }

    /// <summary>The YouTube credential kind; null: the one configured (see <see cref="YouTubeCredentialIn"/>).</summary>
    public YouTubeCredentialKind? YouTubeCredential { get; init; }

    /// <summary>The Sheets credential kind; null: the one configured (see <see cref="SheetsCredentialIn"/>).</summary>
    public SheetsCredentialKind? SheetsCredential { get; init; }

    /// <summary>Configuration values added above the others (the demo's emulator key).</summary>
    public IReadOnlyDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// The recipe's services for a command that only reads or changes resource state (<c>pacer resources</c>): the
    /// <c>youtube</c> and <c>sheets</c> resources are declared as <c>pacer sync</c> declares them (their defaults, or
    /// what <c>Pacer:Resources</c> says), so the quota a sync spent shows and the resources can be paused. The host is
    /// never started, so no credential is read or needed.
    /// </summary>
    public static SyncSetup ResourcesOnly { get; } = new() { Sheets = true };

    /// <summary>
    /// The set-up a worker needs to run stored syncs, if a YouTube credential is configured (see <see cref="YouTubeCredentialIn"/>);
    /// Sheets when its credential is configured too.
    /// </summary>
    public static SyncSetup? FromConfiguration(IConfiguration configuration)
    {
        if (YouTubeCredentialIn(configuration) is not { } youtubeCredential)
            return null;
        var sheetsCredential = SheetsCredentialIn(configuration);
        return new SyncSetup
        {
            YouTubeCredential = youtubeCredential,
            YouTubeBase = Uri.TryCreate(configuration["YouTube:BaseAddress"], UriKind.Absolute, out var youtube) ? youtube : null,
            SheetsBase = Uri.TryCreate(configuration["Sheets:BaseAddress"], UriKind.Absolute, out var sheets) ? sheets : null,
            Sheets = sheetsCredential is not null,
            SheetsCredential = sheetsCredential,
        };
    }

    /// <summary>
    /// The YouTube credential configured, looked for in this order: an API key (<c>YouTube:ApiKey</c>,
    /// <c>PACER_YOUTUBE_API_KEY</c>), an authorized-user credential (<c>YouTube:AuthorizedUser</c> as JSON text or as an
    /// object, <c>PACER_YOUTUBE_AUTHORIZED_USER</c>), an access token (<c>YouTube:AccessToken</c>,
    /// <c>PACER_YOUTUBE_ACCESS_TOKEN</c>), then Google's application default credentials file if it holds a user's
    /// (<see cref="YouTubeCredentialFile"/>); null when there is none.
    /// </summary>
    public static YouTubeCredentialKind? YouTubeCredentialIn(IConfiguration configuration) =>
        YouTubeConfigured(configuration) ?? (YouTubeCredentialFile(configuration) is null ? null : YouTubeCredentialKind.AuthorizedUser);

    /// <summary>
    /// The file named by <c>GOOGLE_APPLICATION_CREDENTIALS</c> when nothing else gives YouTube a credential and the file
    /// holds a user's credential (<c>gcloud auth application-default login</c>, <c>pacer authorize</c>): YouTube's channel
    /// data takes an API key or a user, not a service account.
    /// </summary>
    public static string? YouTubeCredentialFile(IConfiguration configuration) =>
        YouTubeConfigured(configuration) is null && ApplicationDefault(configuration) is { Type: AuthorizedUserType } found ? found.Path : null;

    /// <summary>
    /// The Sheets credential configured, looked for in this order: an access token (<c>Sheets:AccessToken</c>,
    /// <c>PACER_SHEETS_ACCESS_TOKEN</c>; what an emulator takes), a service account key (<c>Sheets:ServiceAccount</c>,
    /// <c>PACER_SHEETS_SERVICE_ACCOUNT</c>), an authorized-user credential (<c>Sheets:AuthorizedUser</c>,
    /// <c>PACER_SHEETS_AUTHORIZED_USER</c>), then Google's application default credentials file, a service account's key
    /// or a user's (<see cref="SheetsCredentialFile"/>); null when there is none.
    /// </summary>
    public static SheetsCredentialKind? SheetsCredentialIn(IConfiguration configuration)
    {
        if (SheetsConfigured(configuration) is { } configured)
            return configured;
        return ApplicationDefault(configuration)?.Type switch
        {
            AuthorizedUserType => SheetsCredentialKind.AuthorizedUser,
            ServiceAccountType => SheetsCredentialKind.ServiceAccount,
            _ => null,
        };
    }

    /// <summary>The file named by <c>GOOGLE_APPLICATION_CREDENTIALS</c> when nothing else gives Sheets a credential and it holds one Sheets takes.</summary>
    public static string? SheetsCredentialFile(IConfiguration configuration) =>
        SheetsConfigured(configuration) is null && ApplicationDefault(configuration) is { Type: AuthorizedUserType or ServiceAccountType } found ? found.Path : null;

    /// <summary>
    /// Stops a sync whose only credential would have been <c>GOOGLE_APPLICATION_CREDENTIALS</c>'s file when that file
    /// cannot serve: it cannot be read, or holds a kind the API does not take. Elsewhere (a worker that may never sync) such
    /// a file is left alone, as if unset.
    /// </summary>
    public static void CheckApplicationDefault(IConfiguration configuration, bool sheets)
    {
        if (ApplicationDefault(configuration) is not { } found)
            return;
        var fix = "Point it at a credential file (a user's, as `pacer authorize` or `gcloud auth application-default login` saves it; " +
            "for Sheets also a service account's key), or give the credential another way (see docs/channel-sync.md).";
        if (found.Problem is { } problem && (YouTubeConfigured(configuration) is null || (sheets && SheetsConfigured(configuration) is null)))
            throw CliException.Usage($"{ApplicationDefaultVariable} names {found.Path}, which {problem}. {fix}");
        if (YouTubeConfigured(configuration) is null && found.Type != AuthorizedUserType)
        {
            throw CliException.Usage($"{ApplicationDefaultVariable} names {found.Path}, a credential of type '{found.Type}'; YouTube's channel data " +
                "takes an API key (PACER_YOUTUBE_API_KEY) or a user's credential (PACER_YOUTUBE_AUTHORIZED_USER, or that file holding one).");
        }
        if (sheets && SheetsConfigured(configuration) is null && found.Type is not (AuthorizedUserType or ServiceAccountType))
            throw CliException.Usage($"{ApplicationDefaultVariable} names {found.Path}, a credential of type '{found.Type}', which Sheets does not take here. {fix}");
    }

    private static YouTubeCredentialKind? YouTubeConfigured(IConfiguration configuration)
    {
        if (Has(configuration, "YouTube:ApiKey", "PACER_YOUTUBE_API_KEY"))
            return YouTubeCredentialKind.ApiKey;
        if (Has(configuration, "YouTube:AuthorizedUser", "PACER_YOUTUBE_AUTHORIZED_USER"))
            return YouTubeCredentialKind.AuthorizedUser;
        if (Has(configuration, "YouTube:AccessToken", "PACER_YOUTUBE_ACCESS_TOKEN"))
            return YouTubeCredentialKind.AccessToken;
        return null;
    }

    private static SheetsCredentialKind? SheetsConfigured(IConfiguration configuration)
    {
        if (Has(configuration, "Sheets:AccessToken", "PACER_SHEETS_ACCESS_TOKEN"))
            return SheetsCredentialKind.AccessToken;
        if (Has(configuration, "Sheets:ServiceAccount", "PACER_SHEETS_SERVICE_ACCOUNT"))
            return SheetsCredentialKind.ServiceAccount;
        if (Has(configuration, "Sheets:AuthorizedUser", "PACER_SHEETS_AUTHORIZED_USER"))
            return SheetsCredentialKind.AuthorizedUser;
        return null;
    }

    private const string AuthorizedUserType = "authorized_user";
    private const string ServiceAccountType = "service_account";

    /// <summary>
    /// The file <c>GOOGLE_APPLICATION_CREDENTIALS</c> names (in the environment, or a top-level key of <c>--config</c>), as
    /// Google's client libraries read it, with its <c>"type"</c>, or what keeps it from being read (never its content).
    /// </summary>
    private static (string Path, string? Type, string? Problem)? ApplicationDefault(IConfiguration configuration)
    {
        var path = configuration[ApplicationDefaultVariable];
        if (string.IsNullOrWhiteSpace(path))
            return null;
        path = Path.GetFullPath(path);
        try
        {
            using var stream = File.OpenRead(path);
            using var json = JsonDocument.Parse(stream);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                ? (path, type.GetString(), null)
                : (path, null, "is not a credential file (no \"type\")");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (path, null, "does not exist");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (path, null, $"cannot be read ({e.GetType().Name})");
        }
        catch (JsonException)
        {
            return (path, null, "is not JSON");
        }
    }

    /// <summary>Where Google's client libraries look for a credential file (application default credentials).</summary>
    public const string ApplicationDefaultVariable = "GOOGLE_APPLICATION_CREDENTIALS";

    /// <summary>Whether a credential is set: a value or a section (a JSON credential as an object) at the key, or the variable.</summary>
    private static bool Has(IConfiguration configuration, string key, string variable) =>
        !string.IsNullOrWhiteSpace(configuration[key]) || configuration.GetSection(key).GetChildren().Any()
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable));
}
