namespace Pacer.Sinks;

/// <summary>
/// A destination of rows with a key column (a CSV or XLSX file, a SQLite table, a Google Sheets tab). A sink never
/// writes a row whose key it already holds, across runs and crashes: it reads the keys back from the destination when it
/// opens, and a write either lands with its keys or not at all.
/// </summary>
/// <remarks>
/// Calls are made one at a time (wrap a sink with <see cref="TableSinks.Batching"/> to share it between concurrent
/// writers; it groups their rows into batches). Open before the first write; complete once at the end of a run.
/// A write observes its cancellation token before it starts, never halfway: a write that failed or was cancelled left
/// none of its rows behind (rolled back), and the sink stays usable for the next write.
/// </remarks>
public interface ITableSink : IAsyncDisposable
{
    /// <summary>What the destination is, for messages (a path, <c>sheets:ID/Tab</c>); never a credential.</summary>
    string Description { get; }

    /// <summary>
    /// Opens the destination, creating nothing yet (the file, table or tab and its header are created by the first write
    /// that has rows), and returns the keys of the rows already there. A destination left half-written by a crash is
    /// repaired here (a torn last line dropped, staged rows merged). The returned set is a snapshot the caller may keep.
    /// </summary>
    /// <exception cref="SinkException">The destination exists but does not fit <paramref name="schema"/> (other columns), or cannot be read.</exception>
    Task<IReadOnlySet<string>> OpenAsync(TableSchema schema, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the rows whose keys the destination does not hold yet, durably: when the task completes they are on disk
    /// (or accepted by the service). Rows with a known key, or repeated within the call, are skipped and counted.
    /// </summary>
    /// <exception cref="ArgumentException">A row does not fit the schema (value count, a value's type, a key that is not its key column's text).</exception>
    Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken);

    /// <summary>Applies what is done once per run (formatting, a final file), after the last write.</summary>
    Task CompleteAsync(CancellationToken cancellationToken);
}

/// <summary>The columns of a table and which one is the key (e.g. the video id).</summary>
/// <remarks>
/// Column names are unique ignoring case (SQL compares them so). The key column is <see cref="ColumnKind.Text"/>,
/// <see cref="ColumnKind.Url"/> or <see cref="ColumnKind.Integer"/>: kinds whose text reads back unchanged from every
/// destination.
/// </remarks>
public sealed record TableSchema(IReadOnlyList<TableColumn> Columns, int KeyColumn = 0)
{
    public TableColumn Key => Columns[KeyColumn];
}

public enum ColumnKind { Text, Integer, Number, DateTime, Url }

/// <param name="Name">The header text.</param>
public sealed record TableColumn(string Name, ColumnKind Kind = ColumnKind.Text);

/// <summary>One row: values in column order, keyed by the key column's text.</summary>
/// <remarks>
/// Values by column kind: <see cref="ColumnKind.Text"/> and <see cref="ColumnKind.Url"/> take a string,
/// <see cref="ColumnKind.Integer"/> a long, <see cref="ColumnKind.Number"/> a finite double (or a long),
/// <see cref="ColumnKind.DateTime"/> a DateTimeOffset (stored as UTC); any of them may be null except the key.
/// <see cref="Key"/> must be the key column's value as invariant text (what reading the destination back yields),
/// since that is what deduplication compares across runs.
/// </remarks>
public sealed record TableRow(string Key, IReadOnlyList<object?> Values);

/// <param name="Written">Rows that were new to the destination and are now in it.</param>
/// <param name="Skipped">Rows whose key was already there (or repeated in the call): duplicates not written.</param>
public readonly record struct SinkWriteResult(int Written, int Skipped)
{
    public static SinkWriteResult operator +(SinkWriteResult a, SinkWriteResult b) => new(a.Written + b.Written, a.Skipped + b.Skipped);
}

/// <summary>A destination that cannot be used as asked: the message names it and what to do.</summary>
public sealed class SinkException : Exception
{
    public SinkException()
    {
    }

    public SinkException(string message)
        : base(message)
    {
    }

    public SinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The destination cannot take more rows (an Excel sheet holds 1,048,576): none of the call's rows were written, and
/// writing them again will not help; another destination will. The message names it and its limit.
/// </summary>
public sealed class SinkFullException : Exception
{
    public SinkFullException()
    {
    }

    public SinkFullException(string message)
        : base(message)
    {
    }

    public SinkFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A writer's time to write ran out while its rows waited for their batch (<see cref="IBatchingTableSink.WriteAsync(IReadOnlyList{TableRow}, Func{DateTimeOffset}, CancellationToken)"/>):
/// none of its rows were written.
/// </summary>
public sealed class SinkDeadlineException : Exception
{
    public SinkDeadlineException()
    {
    }

    public SinkDeadlineException(string message)
        : base(message)
    {
    }

    public SinkDeadlineException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
