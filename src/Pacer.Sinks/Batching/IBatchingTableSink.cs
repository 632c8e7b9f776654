namespace Pacer.Sinks;

/// <summary>
/// A table sink that many writers share at once (made by <see cref="TableSinks.Batching"/>): their rows are grouped into
/// batches, one batch at a time goes to the destination, and each <see cref="ITableSink.WriteAsync"/> completes when the
/// batch that holds its rows has been durably written, with the counts of its own rows.
/// </summary>
/// <remarks>
/// Unlike a plain <see cref="ITableSink"/>, <see cref="ITableSink.WriteAsync"/> and <see cref="FlushAsync"/> may be called
/// concurrently. A failed batch fails exactly the writes whose rows were in it, with the destination's exception, and the
/// next batch tries again. Cancelling a write stops its caller waiting, never a batch others wait on: rows already handed
/// over are still written (a retry then finds them and skips them). Disposing the sink disposes the sink it wraps.
/// </remarks>
public interface IBatchingTableSink : ITableSink
{
    /// <summary>
    /// Starts a flush of the rows pending now without waiting for the size or delay, and returns when they (and any
    /// batch in flight) have been written or have failed. A failure goes to the writers of those rows, not to this call.
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether the destination holds <paramref name="key"/>: it was there when the sink opened, or a batch with it has been
    /// written since. Safe from any thread; a row still waiting for its batch is not held yet. Before the sink is open,
    /// nothing is held.
    /// </summary>
    bool Holds(string key);
}
