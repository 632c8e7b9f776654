namespace Pacer.Sinks;

/// <summary>
/// The checks every sink makes before it touches its destination (state, schema, rows, cancellation), so the
/// implementations only do their destination's work. Public members validate, then call the protected <c>...Core</c>.
/// </summary>
internal abstract class TableSinkBase : ITableSink
{
    private enum State { Created, Open, Completed, Disposed }

    private State state;
    private int busy;
    private TableSchema? schema;

    public abstract string Description { get; }

    /// <summary>The schema given to <see cref="OpenAsync"/>; set once it succeeded.</summary>
    protected TableSchema Schema => schema ?? throw new InvalidOperationException("The sink is not open.");

    public async Task<IReadOnlySet<string>> OpenAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        TableValues.ValidateSchema(schema);
        using var call = Enter();
        if (state != State.Created)
            throw new InvalidOperationException($"{Description} is already open (state: {state}).");
        cancellationToken.ThrowIfCancellationRequested();
        var keys = await OpenCoreAsync(schema, cancellationToken);
        this.schema = schema;
        state = State.Open;
        return keys;
    }

    public async Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        using var call = Enter();
        EnsureOpen();
        TableValues.ValidateRows(Schema, rows);
        cancellationToken.ThrowIfCancellationRequested();
        if (rows.Count == 0)
            return default;
        return await WriteCoreAsync(rows, cancellationToken);
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        using var call = Enter();
        EnsureOpen();
        cancellationToken.ThrowIfCancellationRequested();
        // A completion that failed leaves the sink open, so it can be retried (a file that was locked, say).
        await CompleteCoreAsync(cancellationToken);
        state = State.Completed;
    }

    public async ValueTask DisposeAsync()
    {
        if (state == State.Disposed)
            return;
        state = State.Disposed;
        await DisposeCoreAsync();
    }

    protected abstract Task<IReadOnlySet<string>> OpenCoreAsync(TableSchema schema, CancellationToken cancellationToken);

    /// <summary>Writes valid, non-empty <paramref name="rows"/>; the sink is open.</summary>
    protected abstract Task<SinkWriteResult> WriteCoreAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken);

    protected abstract Task CompleteCoreAsync(CancellationToken cancellationToken);

    protected abstract ValueTask DisposeCoreAsync();

    /// <summary>Splits <paramref name="rows"/> into those whose keys <paramref name="isKnown"/> does not know and that are not earlier in the call.</summary>
    protected static (List<TableRow> Fresh, HashSet<string> FreshKeys, int Skipped) SelectFresh(IReadOnlyList<TableRow> rows, Func<string, bool> isKnown)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(isKnown);
        var fresh = new List<TableRow>(rows.Count);
        var freshKeys = new HashSet<string>(rows.Count, StringComparer.Ordinal);
        var skipped = 0;
        foreach (var row in rows)
        {
            if (isKnown(row.Key) || !freshKeys.Add(row.Key))
                skipped++;
            else
                fresh.Add(row);
        }
        return (fresh, freshKeys, skipped);
    }

    private void EnsureOpen()
    {
        if (state != State.Open)
        {
            throw state == State.Disposed
                ? new ObjectDisposedException(Description)
                : new InvalidOperationException(state == State.Created
                    ? $"Open {Description} before writing to it."
                    : $"{Description} is complete; open a new sink for another run.");
        }
    }

    // The contract says calls come one at a time; overlapping calls are a caller's bug that would interleave file writes,
    // so they fail loudly instead of corrupting the destination.
    private CallScope Enter()
    {
        if (Interlocked.Exchange(ref busy, 1) != 0)
            throw new InvalidOperationException(
                $"{Description} received a call while another was running; share a sink between concurrent writers with TableSinks.Batching.");
        return new CallScope(this);
    }

    private readonly struct CallScope(TableSinkBase sink) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref sink.busy, 0);
    }
}
