using System.Text.Json;
using Microsoft.Extensions.Logging;
using Pacer.Sinks;

namespace Pacer.Sheets;

/// <summary>Makes table sinks that write to Google Sheets tabs.</summary>
public interface ISheetsSinkFactory
{
    /// <summary>A sink for one tab. The options are validated here (<see cref="ArgumentException"/> naming each problem).</summary>
    ITableSink Create(SheetsSinkOptions options);
}

internal sealed class SheetsSinkFactory(ISheetsClient client, TimeProvider time, ILoggerFactory loggers) : ISheetsSinkFactory
{
    public ITableSink Create(SheetsSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SheetsTableSink(client, options.Validated(), time, loggers.CreateLogger("Pacer.Sheets.Sink"));
    }
}

/// <summary>
/// One Google Sheets tab as a table: a header row, then one row per key.
/// <list type="bullet">
/// <item>Open reads the header row and the key column back (<c>values.get</c>); a missing tab holds nothing yet.</item>
/// <item>The first write with new rows creates the tab (<c>addSheet</c>) if needed, and its first append carries the
/// header, so header and rows land together or not at all.</item>
/// <item>Writes append only rows whose keys the tab does not hold (<c>values.append</c>, RAW, INSERT_ROWS), in appends of
/// at most <see cref="SheetsSinkOptions.MaxPayloadBytes"/>.</item>
/// <item>An append whose outcome is unknown is never sent again blindly: the sink waits
/// <see cref="SheetsSinkOptions.ReconcileDelay"/>, reads the key column back, and appends only what is missing.</item>
/// <item>Complete formats the tab once (bold frozen header, the highlight rule); a tab whose header is already frozen is
/// taken as formatted, so later runs add nothing.</item>
/// </list>
/// The key column is written as text (the row's key), so what is read back matches what was written.
/// </summary>
internal sealed partial class SheetsTableSink(ISheetsClient client, SheetsSinkOptions options, TimeProvider time, ILogger logger) : ITableSink
{
    /// <summary>What an append body costs besides its rows: <c>{"majorDimension":"ROWS","values":[ ]}</c> and some slack.</summary>
    private const int BodyOverhead = 64;

    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private TableSchema? _schema;
    private int? _highlightColumn;
    private SheetsTab? _tab;
    private bool _headerWritten;
    private bool _completed;

    public string Description => $"sheets:{options.SpreadsheetId}/{options.Tab}";

    private string TabRange => "'" + options.Tab.Replace("'", "''", StringComparison.Ordinal) + "'";

    public async Task<IReadOnlySet<string>> OpenAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Columns.Count == 0 || schema.KeyColumn < 0 || schema.KeyColumn >= schema.Columns.Count)
            throw new ArgumentException("The schema needs at least one column, and its key column among them.", nameof(schema));
        if (schema.Columns.Any(c => string.IsNullOrWhiteSpace(c.Name)))
            throw new ArgumentException("Every column needs a header name.", nameof(schema));
        _highlightColumn = null;
        if (options.HighlightColumn is { } highlight)
        {
            var index = schema.Columns.ToList().FindIndex(c => string.Equals(c.Name, highlight, StringComparison.Ordinal));
            _highlightColumn = index >= 0 ? index : throw new SinkException(
                $"{Description}: SheetsSinkOptions.HighlightColumn '{highlight}' is not a column ({string.Join(", ", schema.Columns.Select(c => c.Name))}).");
        }
        _schema = schema;
        await ReadBackAsync(cancellationToken);
        return new HashSet<string>(_keys, StringComparer.Ordinal);
    }

    public async Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var schema = _schema ?? throw new InvalidOperationException($"{Description}: call OpenAsync before WriteAsync.");
        foreach (var row in rows)
        {
            if (row.Values.Count != schema.Columns.Count)
                throw new ArgumentException($"Row '{row.Key}' has {row.Values.Count} values for {schema.Columns.Count} columns.", nameof(rows));
        }
        if (!rows.Any(r => !_keys.Contains(r.Key)))
            return new SinkWriteResult(0, rows.Count);

        await EnsureTabAsync(cancellationToken);
        // The tab may have been found (made by someone else, or by an attempt whose answer was lost) with rows in it.
        var fresh = New(rows);
        foreach (var batch in Batches(fresh))
            await AppendAsync(batch, cancellationToken);
        return new SinkWriteResult(fresh.Count, rows.Count - fresh.Count);
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        var schema = _schema ?? throw new InvalidOperationException($"{Description}: call OpenAsync before CompleteAsync.");
        if (_completed)
            return;
        if (_tab is null)
        {
            _completed = true; // nothing was ever written: nothing to format
            return;
        }
        var tab = (await client.GetSpreadsheetAsync(options.SpreadsheetId, cancellationToken)).FindTab(options.Tab);
        if (tab is null || tab.FrozenRowCount > 0)
        {
            _completed = true; // formatted by an earlier run (the frozen header is the mark), or gone
            return;
        }
        List<SheetsRequest> requests =
        [
            SheetsRequest.BoldRow(tab.SheetId, 0, schema.Columns.Count),
            SheetsRequest.FreezeRows(tab.SheetId, 1),
        ];
        if (_highlightColumn is { } column)
            requests.Add(SheetsRequest.HighlightAbove(tab.SheetId, column, options.HighlightAbove));
        try
        {
            await client.BatchUpdateAsync(options.SpreadsheetId, requests, cancellationToken);
        }
        catch (SheetsOutcomeUnknownException unknown)
        {
            // Formatting is all or nothing; the next run's Complete sees whether the header got frozen and does it then if not.
            LogFormattingUnknown(logger, Description, unknown.Message);
        }
        _completed = true;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Reads the tab, its header row and its key column as they are now.</summary>
    private async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        var schema = _schema!;
        SheetsSpreadsheet spreadsheet;
        try
        {
            spreadsheet = await client.GetSpreadsheetAsync(options.SpreadsheetId, cancellationToken);
        }
        catch (SheetsRequestException refused) when (refused.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Forbidden)
        {
            throw new SinkException($"{Description}: the spreadsheet cannot be read ({refused.Message})", refused);
        }
        _tab = spreadsheet.FindTab(options.Tab);
        _keys.Clear();
        _headerWritten = false;
        if (_tab is null)
            return;

        var header = (await client.GetValuesAsync(options.SpreadsheetId, $"{TabRange}!1:1", SheetsDimension.Rows, cancellationToken)).Values;
        var key = Column(schema.KeyColumn);
        var keyCells = (await client.GetValuesAsync(options.SpreadsheetId, $"{TabRange}!{key}:{key}", SheetsDimension.Columns, cancellationToken)).Values;
        var names = header.Count > 0 ? header[0] : [];
        var cells = keyCells.Count > 0 ? keyCells[0] : [];
        var expected = schema.Columns.Select(c => c.Name).ToList();
        if (names.Count == 0 && cells.Count == 0)
            return; // an empty tab: the first append writes the header
        if (!names.SequenceEqual(expected, StringComparer.Ordinal))
            throw new SinkException(
                $"{Description} has the header [{string.Join(", ", names)}], not [{string.Join(", ", expected)}]: write to another tab, or rename this one.");
        _headerWritten = true;
        foreach (var cell in cells.Skip(1))
        {
            if (cell.Length > 0)
                _keys.Add(cell);
        }
    }

    /// <summary>Creates the tab if there is none; an add whose outcome is unknown, or that finds the title taken, is settled by reading back.</summary>
    private async Task EnsureTabAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; _tab is null; attempt++)
        {
            try
            {
                // The table's width and two rows (the header, and one so the header row can be frozen), not Google's
                // 1,000 x 26: a spreadsheet may have 10,000,000 cells, empty ones counted, and every append inserts
                // its rows at the tab's full width. Sized to the table, a tab takes about twice the rows before it is full.
                var added = await client.BatchUpdateAsync(options.SpreadsheetId,
                    [SheetsRequest.AddSheet(options.Tab, rowCount: 2, columnCount: _schema!.Columns.Count)], cancellationToken);
                _tab = added.Single();
                _headerWritten = false;
                LogTabCreated(logger, Description);
            }
            catch (SheetsOutcomeUnknownException) when (attempt < options.MaxReconciles)
            {
                await ReadBackAsync(cancellationToken);
            }
            catch (SheetsRequestException taken) when (taken.StatusCode == System.Net.HttpStatusCode.BadRequest
                && taken.Message.Contains("already exists", StringComparison.Ordinal) && attempt < options.MaxReconciles)
            {
                await ReadBackAsync(cancellationToken);
            }
        }
    }

    /// <summary>Appends one batch (with the header if the tab has none yet). If the outcome is unknown, reads back and appends only what is missing.</summary>
    private async Task AppendAsync(List<TableRow> batch, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var values = new List<IReadOnlyList<object?>>(batch.Count + 1);
            if (!_headerWritten)
                values.Add([.. _schema!.Columns.Select(c => (object?)c.Name)]);
            values.AddRange(batch.Select(Cells));
            try
            {
                await client.AppendValuesAsync(options.SpreadsheetId, $"{TabRange}!A1", values, cancellationToken);
                _headerWritten = true;
                foreach (var row in batch)
                    _keys.Add(row.Key);
                return;
            }
            catch (SheetsOutcomeUnknownException unknown) when (attempt < options.MaxReconciles)
            {
                LogReconciling(logger, Description, batch.Count, unknown.Message);
                if (options.ReconcileDelay > TimeSpan.Zero)
                    await Task.Delay(options.ReconcileDelay, time, cancellationToken);
                await ReadBackAsync(cancellationToken);
                await EnsureTabAsync(cancellationToken);
                var missing = batch.Where(r => !_keys.Contains(r.Key)).ToList();
                LogReconciled(logger, Description, batch.Count - missing.Count, missing.Count);
                if (missing.Count == 0)
                    return; // it had landed
                batch = missing;
            }
        }
    }

    /// <summary>The rows to write: keys the tab does not hold, each once (the first of a key wins).</summary>
    private List<TableRow> New(IReadOnlyList<TableRow> rows)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return [.. rows.Where(r => !_keys.Contains(r.Key) && seen.Add(r.Key))];
    }

    /// <summary>Rows in appends whose bodies stay under the payload limit (a row bigger than the limit goes alone).</summary>
    private IEnumerable<List<TableRow>> Batches(List<TableRow> rows)
    {
        var batch = new List<TableRow>();
        var size = BodyOverhead + (_headerWritten ? 0 : SizeOf([.. _schema!.Columns.Select(c => (object?)c.Name)]));
        foreach (var row in rows)
        {
            var rowSize = SizeOf(Cells(row)) + 1;
            if (batch.Count > 0 && size + rowSize > options.MaxPayloadBytes)
            {
                yield return batch;
                batch = [];
                size = BodyOverhead;
            }
            batch.Add(row);
            size += rowSize;
        }
        if (batch.Count > 0)
            yield return batch;
    }

    /// <summary>A row's cells as written: the key column holds the key as text; dates become ISO text, numbers stay numbers.</summary>
    private IReadOnlyList<object?> Cells(TableRow row)
    {
        var cells = row.Values.ToArray();
        cells[_schema!.KeyColumn] = row.Key;
        return cells;
    }

    private static int SizeOf(IReadOnlyList<object?> cells) =>
        JsonSerializer.SerializeToUtf8Bytes((IReadOnlyList<CellValue>)[.. cells.Select(CellValue.From)], SheetsJson.Default.IReadOnlyListCellValue).Length;

    /// <summary>A1 column letters: 0 is A, 25 is Z, 26 is AA.</summary>
    internal static string Column(int index)
    {
        var name = "";
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
            name = (char)('A' + ((n - 1) % 26)) + name;
        return name;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Sink}: created the tab")]
    private static partial void LogTabCreated(ILogger logger, string sink);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Sink}: an append of {Rows} rows may or may not have landed ({Why}); reading the key column back")]
    private static partial void LogReconciling(ILogger logger, string sink, int rows, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Sink}: {Landed} rows of that append are there, {Missing} are appended again")]
    private static partial void LogReconciled(ILogger logger, string sink, int landed, int missing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Sink}: the formatting may or may not have been applied ({Why}); the next run checks")]
    private static partial void LogFormattingUnknown(ILogger logger, string sink, string why);
}
