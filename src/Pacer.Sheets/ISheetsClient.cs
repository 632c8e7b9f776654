namespace Pacer.Sheets;

/// <summary>
/// The Google Sheets API v4 calls a table sink needs. Every call is charged to the <c>sheets</c> resource and paced by
/// it (60 a minute per user by default); a 429 <c>RESOURCE_EXHAUSTED</c> pauses the resource until the next minute and
/// the call waits for it. Thread-safe; resolve it from DI (<c>services.AddSheets(...)</c>).
/// </summary>
/// <remarks>
/// Reads are repeated on server errors and timeouts. Writes (<see cref="AppendValuesAsync"/>, <see cref="BatchUpdateAsync"/>)
/// are repeated only when the request never left; when a write may have been applied (timeout, connection lost after
/// sending, 5xx) it throws <see cref="SheetsOutcomeUnknownException"/>: read back before writing again. A refusal that
/// will not change (bad range, no access, refused credential) throws <see cref="SheetsRequestException"/>.
/// </remarks>
public interface ISheetsClient
{
    /// <summary>The spreadsheet's title and tabs (<c>spreadsheets.get</c>).</summary>
    Task<SheetsSpreadsheet> GetSpreadsheetAsync(string spreadsheetId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The values of an A1 range (<c>values.get</c>), e.g. <c>'Videos'!A:A</c>, as Sheets formats them, with trailing
    /// empty cells and rows left out. With <see cref="SheetsDimension.Columns"/>, each inner list is a column.
    /// </summary>
    Task<SheetsValues> GetValuesAsync(string spreadsheetId, string range, SheetsDimension majorDimension = SheetsDimension.Rows, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends rows after the table found at <paramref name="range"/> (<c>values.append</c>, <c>valueInputOption=RAW</c>,
    /// <c>insertDataOption=INSERT_ROWS</c>). Cells are strings, numbers (int, long, double, decimal), booleans,
    /// <see cref="DateTimeOffset"/> or <see cref="DateTime"/> (written as ISO 8601 text, UTC) or null (left empty).
    /// RAW means a string is never read as a formula or a number. One append lands whole or not at all.
    /// </summary>
    Task<SheetsAppendResult> AppendValuesAsync(string spreadsheetId, string range, IReadOnlyList<IReadOnlyList<object?>> rows, CancellationToken cancellationToken = default);

    /// <summary>Applies requests in order, all or nothing (<c>spreadsheets.batchUpdate</c>); returns the tabs that <see cref="SheetsRequest.AddSheet"/> requests added.</summary>
    Task<IReadOnlyList<SheetsTab>> BatchUpdateAsync(string spreadsheetId, IReadOnlyList<SheetsRequest> requests, CancellationToken cancellationToken = default);
}

public enum SheetsDimension
{
    Rows,
    Columns,
}

/// <summary>A spreadsheet and its tabs, in order.</summary>
public sealed record SheetsSpreadsheet(string Id, string Title, IReadOnlyList<SheetsTab> Tabs)
{
    /// <summary>The tab with this title (titles are unique regardless of case in Sheets), or null.</summary>
    public SheetsTab? FindTab(string title) => Tabs.FirstOrDefault(t => string.Equals(t.Title, title, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A tab: its id (for formatting requests), title, place and grid.</summary>
public sealed record SheetsTab(int SheetId, string Title, int Index, int RowCount, int ColumnCount, int FrozenRowCount);

/// <summary>The values of a range, formatted as Sheets shows them.</summary>
/// <param name="Range">The range Sheets read, e.g. <c>Videos!A1:A1000</c>.</param>
public sealed record SheetsValues(string Range, IReadOnlyList<IReadOnlyList<string>> Values);

/// <summary>What an append wrote.</summary>
/// <param name="TableRange">The table Sheets found and appended after (null for an empty tab).</param>
/// <param name="UpdatedRange">Where the rows went, e.g. <c>Videos!A12:J61</c>.</param>
public sealed record SheetsAppendResult(string? TableRange, string? UpdatedRange, int UpdatedRows);
