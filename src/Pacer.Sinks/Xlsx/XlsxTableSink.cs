using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Pacer.Sinks;

/// <summary>
/// An XLSX workbook. A zip file cannot be appended to safely, so writes go to a staging CSV next to it
/// (<c>videos.xlsx.pending.csv</c>, appended and flushed to disk per batch, exactly like the CSV sink), and
/// <see cref="ITableSink.CompleteAsync"/> streams the workbook's rows and the staged rows into <c>videos.xlsx.tmp</c>, flushes it
/// to disk, renames it over the workbook (atomic on one file system) and only then deletes the staging file.
/// </summary>
/// <remarks>
/// Whatever step a crash interrupts, the files left behind hold every reported row exactly once as far as the next run
/// can tell: before the rename the old workbook and the staging file are intact (the temp file is deleted on open);
/// after it, the new workbook holds the staged rows and a staging file still there is merged again with its rows that
/// the workbook already has skipped. Opening reads the keys of both, so rows are never written twice.
/// </remarks>
internal sealed class XlsxTableSink(string path, string sheetName, ILogger logger) : TableSinkBase, IKeyedTableSink
{
    private CsvTableFile? staging;
    // The keys the workbook holds, and those of the staging file's rows (which may repeat a few of the workbook's, after
    // a completion that stopped before deleting the staging file). Two sets, never a copy of one into the other but at
    // completion, and then by moving the staged keys over when the workbook had none: at 255,000 rows a copy is 7 MB,
    // and a first sync's completion is when its memory peaks.
    private KeySet workbookKeys = new();
    private KeySet stagedKeys = new();
    private XlsxColumnWidths? widths;
    // The data rows the workbook holds once complete: those it holds, the staged ones it does not, and those written since.
    private long rowsAtCompletion;

    /// <summary>The rows of an Excel sheet, the header's included: Excel will not open a workbook with more.</summary>
    internal const int ExcelMaxRows = 1_048_576;

    /// <summary>The rows the sheet may hold, the header's included (<see cref="ExcelMaxRows"/>; less in tests).</summary>
    internal int MaxRows { get; set; } = ExcelMaxRows;

    public override string Description => path;

    // Any thread may ask while completion moves the staged keys over: the staged set is read first, and completion
    // publishes the workbook's set before it replaces the staged one, so a key held is never missed.
    public bool Holds(string key)
    {
        var staged = Volatile.Read(ref stagedKeys);
        var workbook = Volatile.Read(ref workbookKeys);
        return staged.Contains(key) || workbook.Contains(key);
    }

    internal string StagingPath => path + ".pending.csv";

    internal string TemporaryPath => path + ".tmp";

    protected override Task<IReadOnlySet<string>> OpenCoreAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        // A completion that stopped before its rename: the workbook and staging file it read are still as they were.
        DeleteIfPresent(TemporaryPath);
        var measured = new XlsxColumnWidths(schema);
        workbookKeys = File.Exists(path) ? ReadWorkbookKeys(schema, measured, cancellationToken) : new KeySet();

        var stagingFile = new CsvTableFile(StagingPath, schema, logger);
        var stagedKeys = stagingFile.Open(measured.Measure, cancellationToken);
        if (stagedKeys.Count > 0)
            logger.LogInformation("{Count} rows staged in {Staging} by an earlier run will be merged into {Path} at completion.", stagedKeys.Count, StagingPath, path);

        this.stagedKeys = stagedKeys;
        staging = stagingFile;
        widths = measured;
        var all = workbookKeys.Snapshot();
        all.UnionWith(stagedKeys);
        rowsAtCompletion = all.Count;
        return Task.FromResult<IReadOnlySet<string>>(all);
    }

    protected override Task<SinkWriteResult> WriteCoreAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        var (fresh, freshKeys, skipped) = SelectFresh(rows, Holds);
        if (fresh.Count > 0 && rowsAtCompletion + fresh.Count > MaxRows - 1)
        {
            // Refused before staging: a workbook past Excel's rows is one nobody can open, whatever it holds.
            throw new SinkFullException(
                $"'{path}' is full: an Excel sheet holds {MaxRows.ToString("N0", CultureInfo.InvariantCulture)} rows, the header's included, " +
                $"and this one would have {(rowsAtCompletion + fresh.Count + 1).ToString("N0", CultureInfo.InvariantCulture)}. " +
                "Write the rows to a CSV file or a SQLite table, or to a new workbook.");
        }
        if (fresh.Count > 0)
        {
            staging!.Append(fresh, cancellationToken);
            rowsAtCompletion += fresh.Count;
            stagedKeys.UnionWith(freshKeys);
            foreach (var row in fresh)
                widths!.Measure(row);
        }
        return Task.FromResult(new SinkWriteResult(fresh.Count, skipped));
    }

    protected override Task CompleteCoreAsync(CancellationToken cancellationToken)
    {
        // Nothing staged: the workbook (if any) already holds every row and its formatting.
        if (staging!.IsEmpty)
            return Task.CompletedTask;
        var published = false;
        try
        {
            WriteTemporaryWorkbook(cancellationToken);
            File.Move(TemporaryPath, path, overwrite: true);
            published = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SinkException(
                $"Could not write '{path}' ({e.Message}). Is it open in another program? The rows are kept in '{StagingPath}' " +
                "and the next run merges them.", e);
        }
        finally
        {
            if (!published)
                DeleteIfPresent(TemporaryPath);
        }
        // The workbook now holds every key the sink holds (its own and every staged row's). Should deleting the staging
        // file fail, a second completion must not add those rows again.
        if (workbookKeys.Count == 0)
            Volatile.Write(ref workbookKeys, stagedKeys);
        else
            workbookKeys.UnionWith(stagedKeys);
        Volatile.Write(ref stagedKeys, new KeySet());
        File.Delete(StagingPath);
        logger.LogInformation("Wrote {Path} with the rows staged in this run.", path);
        return Task.CompletedTask;
    }

    protected override ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    private KeySet ReadWorkbookKeys(TableSchema schema, XlsxColumnWidths measured, CancellationToken cancellationToken)
    {
        var found = new KeySet();
        using var reader = XlsxWorkbookReader.Open(path, sheetName);
        var values = new object?[schema.Columns.Count];
        if (!reader.ReadRow(values) || !values.Select(v => v as string).SequenceEqual(schema.Columns.Select(c => c.Name), StringComparer.Ordinal))
        {
            throw new SinkException(
                $"'{path}' has other columns than this sink writes: expected header {string.Join(",", schema.Columns.Select(c => c.Name))}, " +
                $"found {string.Join(",", values.Select(v => v?.ToString()))}. Write to another file, or move this one away.");
        }
        foreach (var (column, width) in reader.ColumnWidths)
            measured.AtLeast(column, width);
        var count = 0;
        while (reader.ReadRow(values, onlyColumn: schema.KeyColumn))
        {
            if (++count % 4096 == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (KeyText(values[schema.KeyColumn]) is { Length: > 0 } key)
                found.Add(key);
        }
        return found;
    }

    private void WriteTemporaryWorkbook(CancellationToken cancellationToken)
    {
        var schema = Schema;
        var values = new object?[schema.Columns.Count];
        using var output = new FileStream(TemporaryPath, FileMode.Create, FileAccess.Write, FileShare.None);
        using (var workbook = new XlsxWorkbookWriter(output, schema, sheetName, widths!.Widths))
        {
            if (File.Exists(path))
            {
                using var existing = XlsxWorkbookReader.Open(path, sheetName);
                existing.ReadRow(values); // the header, checked when the sink opened
                while (existing.ReadRow(values))
                    workbook.WriteRow(values);
            }
            cancellationToken.ThrowIfCancellationRequested();
            var count = 0;
            staging!.ForEachRecord(record =>
            {
                if (++count % 4096 == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                // Already in the workbook: a completion that renamed its workbook but did not get to delete the staging file.
                if (workbookKeys.Contains(record.GetString(schema.KeyColumn)))
                    return;
                for (var i = 0; i < values.Length; i++)
                    values[i] = ParseStaged(schema.Columns[i], record.GetString(i));
                workbook.WriteRow(values);
            }, cancellationToken);
            workbook.Complete();
        }
        // The rename must not publish a workbook whose bytes are still only in the page cache.
        output.Flush(flushToDisk: true);
    }

    private object? ParseStaged(TableColumn column, string text)
    {
        try
        {
            return TableValues.Parse(column.Kind, text);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new SinkException($"'{StagingPath}' has '{text}' in column '{column.Name}', which is not {column.Kind}; was the file edited?", e);
        }
    }

    // A key as the sheet holds it: text, or a number for an Integer key column.
    private static string? KeyText(object? value) => value switch
    {
        string text => text,
        XlsxNumber number when long.TryParse(number.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => TableValues.Format(integer),
        // Excel may have saved a whole number as 1.2345E+5.
        XlsxNumber number when double.TryParse(number.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) =>
            real == Math.Floor(real) && Math.Abs(real) < 1e15 ? TableValues.Format((long)real) : TableValues.Format(real),
        _ => null,
    };

    private static void DeleteIfPresent(string file)
    {
        if (File.Exists(file))
            File.Delete(file);
    }
}
