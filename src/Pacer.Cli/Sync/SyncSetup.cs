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
    /// <c>PACER_YOUTUBE_ACCESS_TOKEN</c>); null when there is none.
    /// </summary>
    public static YouTubeCredentialKind? YouTubeCredentialIn(IConfiguration configuration)
    {
        if (Has(configuration, "YouTube:ApiKey", "PACER_YOUTUBE_API_KEY"))
            return YouTubeCredentialKind.ApiKey;
        if (Has(configuration, "YouTube:AuthorizedUser", "PACER_YOUTUBE_AUTHORIZED_USER"))
            return YouTubeCredentialKind.AuthorizedUser;
        if (Has(configuration, "YouTube:AccessToken", "PACER_YOUTUBE_ACCESS_TOKEN"))
            return YouTubeCredentialKind.AccessToken;
        return null;
    }

    /// <summary>
    /// The Sheets credential configured, looked for in this order: an access token (<c>Sheets:AccessToken</c>,
    /// <c>PACER_SHEETS_ACCESS_TOKEN</c>; what an emulator takes), a service account key (<c>Sheets:ServiceAccount</c>,
    /// <c>PACER_SHEETS_SERVICE_ACCOUNT</c>), an authorized-user credential (<c>Sheets:AuthorizedUser</c>,
    /// <c>PACER_SHEETS_AUTHORIZED_USER</c>); null when there is none.
    /// </summary>
    public static SheetsCredentialKind? SheetsCredentialIn(IConfiguration configuration)
    {
        if (Has(configuration, "Sheets:AccessToken", "PACER_SHEETS_ACCESS_TOKEN"))
            return SheetsCredentialKind.AccessToken;
        if (Has(configuration, "Sheets:ServiceAccount", "PACER_SHEETS_SERVICE_ACCOUNT"))
            return SheetsCredentialKind.ServiceAccount;
        if (Has(configuration, "Sheets:AuthorizedUser", "PACER_SHEETS_AUTHORIZED_USER"))
            return SheetsCredentialKind.AuthorizedUser;
        return null;
    }

    /// <summary>Whether a credential is set: a value or a section (a JSON credential as an object) at the key, or the variable.</summary>
    private static bool Has(IConfiguration configuration, string key, string variable) =>
        !string.IsNullOrWhiteSpace(configuration[key]) || configuration.GetSection(key).GetChildren().Any()
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable));
}
