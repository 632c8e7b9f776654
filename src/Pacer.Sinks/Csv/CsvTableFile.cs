using CsvHelper;
using Microsoft.Extensions.Logging;

namespace Pacer.Sinks;

/// <summary>
/// An append-only CSV file of a table's rows: RFC 4180 (CRLF after every record, quotes where needed), UTF-8 with a byte
/// order mark written once with the header. Used by the CSV sink and as the XLSX sink's staging file.
/// </summary>
/// <remarks>
/// Every record this class writes ends with CRLF, and a batch is appended with one write and flushed to the disk before
/// it counts. A crash can therefore leave at most one torn record at the end (bytes after the last record break that
/// is outside quotes), and <see cref="Open"/> cuts it off. The BOM is there because Excel reads a CSV without one in the
/// machine's legacy code page and garbles anything beyond ASCII.
/// </remarks>
internal sealed class CsvTableFile
{
    private const int ScanBufferSize = 64 * 1024;
    private const byte Quote = (byte)'"';
    private const byte LineFeed = (byte)'\n';

    // Fixed separator and no "sep=" sniffing: a file of ours is always comma separated, and guessing could misread one
    // whose first record happens to hold more semicolons than commas.
    private static readonly CsvReaderOptions ReadOptions = CsvReaderOptions.Default with
    {
        Separator = ',',
        HasHeader = false,
        DetectSeparatorHint = false,
        MalformedData = CsvMalformedDataHandling.Throw,
        FieldCountMismatch = CsvFieldCountHandling.Throw,
    };

    private static readonly CsvWriterOptions WriteOptions = CsvWriterOptions.Default with { NewLine = "\r\n", Quoting = CsvQuoting.WhenNeeded };

    private readonly TableSchema schema;
    private readonly ILogger logger;
    private readonly MemoryStream batch = new();

    // Bytes of complete records in the file: where the next batch goes, and what a failed batch is cut back to.
    // -1 after a failed write that could not be rolled back: the file's end is then unknown until it is opened again.
    private long length;

    public CsvTableFile(string path, TableSchema schema, ILogger logger)
    {
        Path = path;
        this.schema = schema;
        this.logger = logger;
    }

    public string Path { get; }

    /// <summary>Whether the file has no header yet: it was never written to, in this run or before.</summary>
    public bool IsEmpty => length == 0;

    /// <summary>
    /// Cuts off a torn last record, checks the header and returns the keys of the rows, calling <paramref name="onRecord"/>
    /// for each of them. A missing or empty file has no keys and is left as it is (the first append creates it).
    /// </summary>
    /// <exception cref="SinkException">The file has another header, has records that cannot be read, or cannot be opened.</exception>
    public KeySet Open(Action<CsvReader>? onRecord, CancellationToken cancellationToken)
    {
        try
        {
            return OpenFile(onRecord, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SinkException($"'{Path}' cannot be opened: {e.Message}", e);
        }
    }

    private KeySet OpenFile(Action<CsvReader>? onRecord, CancellationToken cancellationToken)
    {
        var keys = new KeySet();
        length = 0;
        if (!File.Exists(Path))
            return keys;
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var end = FindEndOfLastRecord(stream);
        if (end < stream.Length)
        {
            // The tail was never reported written: its batch's fsync had not returned when the process stopped.
            logger.LogWarning("Removed a torn last record ({Bytes} bytes) from {Path}, left by a write that did not finish.", stream.Length - end, Path);
            stream.SetLength(end);
            stream.Flush(flushToDisk: true);
        }
        length = end;
        if (end == 0)
            return keys;

        stream.Position = 0;
        ReadRecords(stream, record => keys.Add(record.GetString(schema.KeyColumn)), onRecord, cancellationToken);
        return keys;
    }

    /// <summary>Reads the data records of the file (after its header), which <see cref="Open"/> has checked.</summary>
    public void ForEachRecord(Action<CsvReader> onRecord, CancellationToken cancellationToken)
    {
        if (length <= 0)
            return;
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        ReadRecords(stream, onRecord, null, cancellationToken);
    }

    /// <summary>
    /// Appends <paramref name="rows"/> (and the header first, if the file has none) with one write, and flushes it to the
    /// disk. If the write fails, the file is cut back to where it was, so no row of a failed batch stays behind.
    /// </summary>
    public void Append(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        if (length < 0)
            throw new SinkException($"'{Path}': an earlier write failed and could not be rolled back; open the sink again (opening repairs the file).");
        var needsHeader = length == 0;
        batch.SetLength(0);
        using (var writer = CsvWriter.Create(batch, WriteOptions with { WriteByteOrderMark = needsHeader }, leaveOpen: true))
        {
            if (needsHeader)
            {
                foreach (var column in schema.Columns)
                    writer.WriteField(column.Name);
                writer.EndRecord();
            }
            // Numbers and dates are formatted into a buffer, not a string each: two destinations of 255,000 rows made
            // 130 MB of such strings in the channel benchmark.
            Span<char> text = stackalloc char[64];
            foreach (var row in rows)
            {
                foreach (var value in row.Values)
                {
                    if (TableValues.TryFormatValue(value, text, out var written))
                        writer.WriteField(text[..written]);
                    else
                        writer.WriteField(TableValues.Format(value));
                }
                writer.EndRecord();
            }
            writer.Flush();
        }

        // The last moment a cancellation can stop the write; after this the batch goes in whole or is rolled back.
        cancellationToken.ThrowIfCancellationRequested();
        // Synchronous on purpose: the write is one short call and the fsync has no asynchronous form.
        using var stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        if (stream.Length != length)
        {
            throw new SinkException(
                $"'{Path}' changed while the sink had it open ({stream.Length} bytes, expected {length}); something else writes to it. " +
                "Give each sink its own file.");
        }
        stream.Position = length;
        try
        {
            stream.Write(batch.GetBuffer(), 0, checked((int)batch.Length));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            RollBack(stream);
            throw;
        }
        length += batch.Length;
    }

    /// <summary>
    /// The length of the file up to the end of its last complete record: just after the last line feed that is outside
    /// quotes. Quotes, CR and LF are single bytes in UTF-8 that never occur inside a multi-byte character, so the bytes
    /// can be scanned without decoding; a doubled quote toggles the state twice and leaves it as it was.
    /// </summary>
    internal static long FindEndOfLastRecord(Stream stream)
    {
        stream.Position = 0;
        var buffer = new byte[ScanBufferSize];
        var inQuotes = false;
        long end = 0;
        long offset = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (b == Quote)
                    inQuotes = !inQuotes;
                else if (b == LineFeed && !inQuotes)
                    end = offset + i + 1;
            }
            offset += read;
        }
        return end;
    }

    private void ReadRecords(Stream stream, Action<CsvReader> onRecord, Action<CsvReader>? alsoOnRecord, CancellationToken cancellationToken)
    {
        using var reader = CsvReader.Create(stream, ReadOptions, leaveOpen: true);
        try
        {
            if (!reader.Read())
                throw new SinkException($"'{Path}' has no header row; expected: {Header(schema.Columns.Select(c => c.Name))}. Move the file away or use another.");
            var found = new string[reader.FieldCount];
            for (var i = 0; i < found.Length; i++)
                found[i] = reader.GetString(i);
            if (!found.SequenceEqual(schema.Columns.Select(c => c.Name), StringComparer.Ordinal))
            {
                throw new SinkException(
                    $"'{Path}' has other columns than this sink writes: expected header {Header(schema.Columns.Select(c => c.Name))}, found " +
                    $"{Header(found)}. Write to another file, or move this one away.");
            }
            var count = 0;
            while (reader.Read())
            {
                if (++count % 4096 == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                onRecord(reader);
                alsoOnRecord?.Invoke(reader);
            }
        }
        catch (CsvFormatException e)
        {
            throw new SinkException($"'{Path}' cannot be read as CSV (record {e.RecordNumber}, byte {e.ByteOffset}): {e.Message}", e);
        }
    }

    private void RollBack(FileStream stream)
    {
        try
        {
            stream.SetLength(length);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            // The write's own exception is the one the caller needs; this one only makes the file's end unknown.
            logger.LogError(e, "Could not cut {Path} back to {Length} bytes after a failed write.", Path, length);
            length = -1;
        }
    }

    private static string Header(IEnumerable<string> names) => string.Join(",", names);
}
