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
    /// As <see cref="ITableSink.WriteAsync"/>, for a writer that may lose the right to write while its rows wait for their
    /// batch: a job whose lease another worker can take (see <c>JobContext.LeaseExpiresAt</c>). Just before the batch goes
    /// to the destination, the rows of a writer whose <paramref name="writeBy"/> has passed are left out, and this call
    /// fails with <see cref="SinkDeadlineException"/>: none of them were written. The rest of the batch is written.
    /// </summary>
    /// <param name="writeBy">Read when the batch starts; the writer's rows go only if the clock is still before it.</param>
    Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, Func<DateTimeOffset> writeBy, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the destination holds <paramref name="key"/>: it was there when the sink opened, or a batch with it has been
    /// written since. Safe from any thread; a row still waiting for its batch is not held yet. Before the sink is open,
    /// nothing is held.
    /// </summary>
    bool Holds(string key);
}
