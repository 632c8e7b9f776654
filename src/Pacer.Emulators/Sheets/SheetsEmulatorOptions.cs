using System.ComponentModel.DataAnnotations;

namespace Pacer.Emulators;

/// <summary>Options of <see cref="SheetsEmulator"/>: spreadsheets, credentials and the per-minute limits.</summary>
public sealed class SheetsEmulatorOptions : GoogleEmulatorOptions
{
    /// <summary>An unknown spreadsheet id is created (with one tab, <c>Sheet1</c>) on first use. Default true; false answers 404.</summary>
    public bool CreateOnDemand { get; set; } = true;

    /// <summary>Spreadsheets that exist from the start, each with one tab, <c>Sheet1</c>.</summary>
    public IList<string> SpreadsheetIds { get; } = [];

    /// <summary>
    /// OAuth tokens accepted as <c>Authorization: Bearer</c>, besides those the token endpoint issued (accepted until they
    /// expire); each is a user for the per-user limits (an issued token's user is its refresh token). Empty (default): any
    /// non-empty token the endpoint did not issue.
    /// </summary>
    public IList<string> BearerTokens { get; } = [];

    /// <summary>Read requests per minute per user (token). Default 60; 0 for no limit.</summary>
    [Range(0, int.MaxValue)]
    public int ReadRequestsPerMinutePerUser { get; set; } = 60;

    /// <summary>Write requests per minute per user (token). Default 60; 0 for no limit.</summary>
    [Range(0, int.MaxValue)]
    public int WriteRequestsPerMinutePerUser { get; set; } = 60;

    /// <summary>Read requests per minute for all users together. Default 300; 0 for no limit.</summary>
    [Range(0, int.MaxValue)]
    public int ReadRequestsPerMinutePerProject { get; set; } = 300;

    /// <summary>Write requests per minute for all users together. Default 300; 0 for no limit.</summary>
    [Range(0, int.MaxValue)]
    public int WriteRequestsPerMinutePerProject { get; set; } = 300;

    /// <summary>Cells a spreadsheet may hold across its tabs. Default 10,000,000, as the real service.</summary>
    [Range(1, 100_000_000)]
    public long MaxCellsPerSpreadsheet { get; set; } = 10_000_000;

    /// <summary>Rows of a new tab. Default 1,000.</summary>
    [Range(1, 10_000_000)]
    public int DefaultRowCount { get; set; } = 1000;

    /// <summary>Columns of a new tab. Default 26 (A to Z).</summary>
    [Range(1, 18_278)]
    public int DefaultColumnCount { get; set; } = 26;

    /// <summary>The project number named in quota errors. Default 123456789012.</summary>
    [Range(1, long.MaxValue)]
    public long ProjectNumber { get; set; } = 123456789012;
}
