using System.Text.Json;
using Pacer.Emulators.Hosting;
using Pacer.Emulators.Sheets;

namespace Pacer.Emulators;

/// <summary>A tab as tests see it.</summary>
public sealed record SheetsTabInfo(int SheetId, string Title, int Index, int RowCount, int ColumnCount, int FrozenRowCount, int FrozenColumnCount);

/// <summary>A <c>spreadsheets:batchUpdate</c> request the emulator recorded: its kind (<c>repeatCell</c>, ...) and its JSON.</summary>
public sealed record SheetsRecordedRequest(string Kind, string Json);

/// <summary>
/// A local Google Sheets API v4 (<c>/v4/spreadsheets/...</c>) with in-memory spreadsheets, A1 ranges, the documented
/// error texts and the per-minute read and write limits. Point a client's base address at <see cref="GoogleEmulator.BaseAddress"/>
/// and read what it wrote with <see cref="GetValues"/>; see docs/emulators.md.
/// </summary>
public sealed class SheetsEmulator : GoogleEmulator
{
    private readonly SheetsApi _api;

    private SheetsEmulator(SheetsEmulatorOptions options, SheetsCounters counters)
        : base(options, "https://www.googleapis.com/auth/spreadsheets", counters)
    {
        Counters = counters;
        _api = new SheetsApi(options, Counters, OAuth);
    }

    public SheetsCounters Counters { get; }

    /// <summary>Every spreadsheet so far, configured, created or made on demand.</summary>
    public IReadOnlyList<string> SpreadsheetIds => [.. _api.SpreadsheetIds];

    /// <summary>Validates the options and starts listening on 127.0.0.1.</summary>
    public static async Task<SheetsEmulator> StartAsync(SheetsEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SheetsEmulatorOptions();
        OptionsValidation.ThrowIfInvalid(options, options.Faults);
        var emulator = new SheetsEmulator(options, new SheetsCounters());
        emulator.Host = await EmulatorHost.StartAsync(options, emulator._api, emulator.Counters, cancellationToken);
        return emulator;
    }

    /// <summary>Creates a spreadsheet with the given tabs (default one, <c>Sheet1</c>; the first gets sheet id 0).</summary>
    public void CreateSpreadsheet(string spreadsheetId, params string[] sheetTitles)
    {
        ArgumentException.ThrowIfNullOrEmpty(spreadsheetId);
        _api.Create(spreadsheetId, "Untitled spreadsheet", sheetTitles);
    }

    /// <summary>
    /// Shares a spreadsheet with these callers only, as its owner would in Google Sheets; others are answered 403
    /// <c>PERMISSION_DENIED</c>. A caller is a service account's e-mail address, a user's refresh token (from
    /// <see cref="GoogleEmulatorOptions.RefreshTokens"/>) or a static access token. Spreadsheets are open to every valid
    /// credential until shared.
    /// </summary>
    public void ShareSpreadsheet(string spreadsheetId, params string[] callers)
    {
        ArgumentNullException.ThrowIfNull(callers);
        var spreadsheet = Open(spreadsheetId);
        lock (spreadsheet.Gate)
            spreadsheet.SharedWith = [.. callers];
    }

    /// <summary>The values in an A1 range (<c>Sheet1</c>, <c>'My Sheet'!A1:C</c>) as <c>values.get</c> formats them, trailing empties left out.</summary>
    public IReadOnlyList<IReadOnlyList<string>> GetValues(string spreadsheetId, string range)
    {
        var spreadsheet = Open(spreadsheetId);
        lock (spreadsheet.Gate)
        {
            try
            {
                var (sheet, parsed) = SheetsApi.Resolve(spreadsheet, range);
                return Values(sheet, parsed);
            }
            catch (SheetsRequestException error)
            {
                throw new ArgumentException(error.Message, nameof(range), error);
            }
        }
    }

    /// <summary>The tabs, in order, with their grid and frozen rows and columns.</summary>
    public IReadOnlyList<SheetsTabInfo> GetTabs(string spreadsheetId)
    {
        var spreadsheet = Open(spreadsheetId);
        lock (spreadsheet.Gate)
            return [.. spreadsheet.Sheets.Select(Describe)];
    }

    /// <summary>The <c>spreadsheets:batchUpdate</c> requests applied so far, in order (formatting is recorded, not rendered).</summary>
    public IReadOnlyList<SheetsRecordedRequest> GetRecordedRequests(string spreadsheetId)
    {
        var spreadsheet = Open(spreadsheetId);
        lock (spreadsheet.Gate)
            return [.. spreadsheet.Recorded.Select(r => new SheetsRecordedRequest(r.Kind, r.Json))];
    }


    /// <summary>The admin endpoint's view: every tab with its values, and the recorded requests, read under the spreadsheet's lock.</summary>
    internal static object Dump(Spreadsheet spreadsheet)
    {
        lock (spreadsheet.Gate)
        {
            return new
            {
                spreadsheetId = spreadsheet.Id,
                title = spreadsheet.Title,
                sheets = spreadsheet.Sheets.Select(s => new { properties = Describe(s, spreadsheet.Sheets.IndexOf(s)), values = Values(s, new A1Range(s.Title, 0, 0, null, null)) }).ToList(),
                requests = spreadsheet.Recorded.Select(r => new { kind = r.Kind, body = JsonDocument.Parse(r.Json).RootElement.Clone() }).ToList(),
            };
        }
    }

    private Spreadsheet Open(string spreadsheetId) =>
        _api.Find(spreadsheetId) ?? throw new ArgumentException($"No spreadsheet '{spreadsheetId}'.", nameof(spreadsheetId));

    private static SheetsTabInfo Describe(Sheet sheet, int index) =>
        new(sheet.SheetId, sheet.Title, index, sheet.RowCount, sheet.ColumnCount, sheet.FrozenRowCount, sheet.FrozenColumnCount);

    private static List<IReadOnlyList<string>> Values(Sheet sheet, A1Range range)
    {
        var rows = new List<IReadOnlyList<string>>();
        var endRow = Math.Min(range.EndRow ?? int.MaxValue, Math.Max(sheet.RowCount, sheet.Rows.Count));
        var endColumn = range.EndColumn ?? int.MaxValue;
        for (var row = range.StartRow; row < Math.Min(endRow, sheet.Rows.Count); row++)
        {
            var cells = sheet.Rows[row];
            var line = new List<string>();
            for (var column = range.StartColumn; column < Math.Min(endColumn, cells.Count); column++)
                line.Add(CellValues.Formatted(cells[column]));
            while (line.Count > 0 && line[^1].Length == 0)
                line.RemoveAt(line.Count - 1);
            rows.Add(line);
        }
        while (rows.Count > 0 && rows[^1].Count == 0)
            rows.RemoveAt(rows.Count - 1);
        return rows;
    }
}
