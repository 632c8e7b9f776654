using Microsoft.Extensions.Configuration;

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

    /// <summary>Sheets credential kind: an access token rather than a service account key (emulators take tokens).</summary>
    public bool SheetsAccessToken { get; init; }

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
    /// The set-up a worker needs to run stored syncs, if a YouTube credential is configured (settings <c>YouTube:ApiKey</c>
    /// or <c>YouTube:AccessToken</c>, or <c>PACER_YOUTUBE_API_KEY</c>); Sheets when its credential is configured too.
    /// </summary>
    public static SyncSetup? FromConfiguration(IConfiguration configuration)
    {
        static bool Has(IConfiguration c, string key, string variable) =>
            !string.IsNullOrWhiteSpace(c[key]) || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable));
        if (!Has(configuration, "YouTube:ApiKey", "PACER_YOUTUBE_API_KEY"))
            return null;
        var token = Has(configuration, "Sheets:AccessToken", "PACER_SHEETS_ACCESS_TOKEN");
        return new SyncSetup
        {
            YouTubeBase = Uri.TryCreate(configuration["YouTube:BaseAddress"], UriKind.Absolute, out var youtube) ? youtube : null,
            SheetsBase = Uri.TryCreate(configuration["Sheets:BaseAddress"], UriKind.Absolute, out var sheets) ? sheets : null,
            Sheets = token || Has(configuration, "Sheets:ServiceAccount", "PACER_SHEETS_SERVICE_ACCOUNT"),
            SheetsAccessToken = token,
        };
    }
}
