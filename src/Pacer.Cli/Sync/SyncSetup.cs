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
}
