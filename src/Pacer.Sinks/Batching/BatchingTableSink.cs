using Microsoft.Extensions.Logging;

namespace Pacer.Sinks;

/// <summary>
/// Group commit over one <see cref="ITableSink"/>: concurrent writers enqueue their rows, a single flush loop writes
/// everything pending as one batch, and each writer's task completes when its batch is durable. See
/// <see cref="BatchingTableSinkOptions"/> for when a flush starts and <see cref="IBatchingTableSink"/> for the promises.
/// </summary>
/// <remarks>
/// The batch is deduplicated here, against the keys the destination held when it opened plus those written since, so
/// that a key sent by two writers in one batch is counted as written for the first and skipped for the second: the
/// wrapped sink only returns totals, and under the contract (one writer, all-or-nothing writes) its totals then always
/// equal what was sent.
/// </remarks>
internal sealed class BatchingTableSink : IBatchingTableSink
{
    private enum State { Created, Opening, Open, Completing, Completed, Disposed }

    private readonly ITableSink inner;
    private readonly int flushRows;
    private readonly TimeSpan flushDelay;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ITimer timer;
    private readonly CancellationTokenSource lifetime = new();
    private readonly Lock gate = new();

    // Guarded by gate.
    private State state;
    private TableSchema? schema;
    private List<PendingWrite> pending = [];
    private int pendingRows;
    private long oldestPendingTimestamp;
    private bool flushRequested;
    private Task? flushLoop;
    private PendingWrite? lastInFlight;
    private int flushesStarted;

    // The keys the destination holds, for a wrapped sink that cannot answer from any thread itself (see IKeyedTableSink):
    // set by OpenAsync, added to only by the flush loop (one at a time), read by it and by Holds from any thread.
    private readonly IKeyedTableSink? keyedInner;
    private KeySet knownKeys = new();

    public BatchingTableSink(ITableSink inner, BatchingTableSinkOptions options, TimeProvider time, ILogger logger)
    {
        this.inner = inner;
        keyedInner = inner as IKeyedTableSink;
        flushRows = options.FlushRows;
        flushDelay = options.FlushDelay;
        this.time = time;
        this.logger = logger;
        timer = time.CreateTimer(static state => ((BatchingTableSink)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Description => inner.Description;

    /// <summary>How many times a flush loop was started (each writes one or more batches back to back); for tests.</summary>
    internal int FlushesStarted
    {
        get
        {
            lock (gate)
                return flushesStarted;
        }
    }

    public async Task<IReadOnlySet<string>> OpenAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        TableValues.ValidateSchema(schema);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(state == State.Disposed, this);
            if (state != State.Created)
                throw new InvalidOperationException($"{Description} is already open.");
            state = State.Opening;
        }
        var opened = false;
        try
        {
            var keys = await inner.OpenAsync(schema, cancellationToken);
            if (keyedInner is null)
                knownKeys = new KeySet(keys);
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(state == State.Disposed, this);
                this.schema = schema;
                state = State.Open;
            }
            opened = true;
            return keys;
        }
        finally
        {
            if (!opened)
            {
                lock (gate)
                {
                    if (state == State.Opening)
                        state = State.Created;
                }
            }
        }
    }

    public bool Holds(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return keyedInner?.Holds(key) ?? knownKeys.Contains(key);
    }

    public Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) =>
        HandOverAsync(rows, writeBy: null, cancellationToken);

    public Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, Func<DateTimeOffset> writeBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeBy);
        return HandOverAsync(rows, writeBy, cancellationToken);
    }

    private async Task<SinkWriteResult> HandOverAsync(IReadOnlyList<TableRow> rows, Func<DateTimeOffset>? writeBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        cancellationToken.ThrowIfCancellationRequested();
        TableSchema openSchema;
        lock (gate)
            openSchema = ThrowUnlessOpen();
        // A row that does not fit fails its own caller here, not the batch of others it would have joined.
        TableValues.ValidateRows(openSchema, rows);
        if (rows.Count == 0)
            return default;

        // A copy: the caller may reuse its list once it stops waiting, while the rows still wait for their batch.
        var write = new PendingWrite([.. rows], writeBy);
        lock (gate)
        {
            ThrowUnlessOpen();
            pending.Add(write);
            pendingRows += write.Rows.Length;
            if (pending.Count == 1)
                oldestPendingTimestamp = time.GetTimestamp();
            if (flushLoop is null)
            {
                if (ShouldFlush())
                    StartFlush();
                else if (pending.Count == 1)
                    ArmTimer();
            }
        }
        return await write.Completion.Task.WaitAsync(cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        PendingWrite? last;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(state == State.Disposed, this);
            last = RequestFlush();
        }
        if (last is not null)
            await WhenDone(last).WaitAsync(cancellationToken);
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        PendingWrite? last;
        lock (gate)
        {
            ThrowUnlessOpen();
            // From here new writes are refused, so the flush below is the last one.
            state = State.Completing;
            last = RequestFlush();
        }
        var completed = false;
        try
        {
            if (last is not null)
                await WhenDone(last).WaitAsync(cancellationToken);
            Task? loop;
            lock (gate)
                loop = flushLoop;
            // One caller of the wrapped sink at a time: the loop has nothing left to write, but let it finish first.
            if (loop is not null)
                await loop.WaitAsync(cancellationToken);
            await inner.CompleteAsync(cancellationToken);
            completed = true;
        }
        finally
        {
            lock (gate)
            {
                // A completion that failed or was cancelled leaves the sink open, to be completed again.
                if (state == State.Completing)
                    state = completed ? State.Completed : State.Open;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<PendingWrite> abandoned;
        Task? loop;
        lock (gate)
        {
            if (state == State.Disposed)
                return;
            state = State.Disposed;
            abandoned = pending;
            pending = [];
            pendingRows = 0;
            loop = flushLoop;
        }
        timer.Dispose();
        var error = new ObjectDisposedException(Description, "The sink was disposed before these rows were written.");
        foreach (var write in abandoned)
            write.Completion.TrySetException(error);
        // Stops a batch in flight at the wrapped sink's next safe point (sinks roll back what they did not finish).
        await lifetime.CancelAsync();
        if (loop is not null)
            await loop; // never faults: batch failures go to their writers
        await inner.DisposeAsync();
        lifetime.Dispose();
    }

    private TableSchema ThrowUnlessOpen()
    {
        ObjectDisposedException.ThrowIf(state == State.Disposed, this);
        return state switch
        {
            State.Open => schema!,
            State.Created or State.Opening => throw new InvalidOperationException($"Open {Description} before writing to it."),
            _ => throw new InvalidOperationException($"{Description} is complete (or completing); open a new sink for another run."),
        };
    }

    // Locked. The write to wait for so that everything handed over before now is done: the newest pending write (its
    // batch is the last to start, and batches run in order), or the newest of the batch in flight.
    private PendingWrite? RequestFlush()
    {
        if (pending.Count == 0)
            return lastInFlight;
        flushRequested = true;
        if (flushLoop is null)
            StartFlush();
        return pending[^1];
    }

    // Locked.
    private bool ShouldFlush() =>
        pendingRows >= flushRows || flushRequested || time.GetElapsedTime(oldestPendingTimestamp) >= flushDelay;

    // Locked.
    private void StartFlush()
    {
        flushesStarted++;
        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        flushLoop = Task.Run(FlushLoopAsync);
    }

    // Locked, after ShouldFlush() said "not yet". The clock moves on between that look and this one (a thread paused on
    // a loaded machine), so the delay left may be spent already: the timer then fires at once. A timer reads -1 ms as
    // "never" and throws below that, which crashed a sync from the timer's thread. The timer is changed under the lock
    // so that two changes cannot land in the wrong order and leave pending rows without a timer.
    private void ArmTimer()
    {
        var left = flushDelay - time.GetElapsedTime(oldestPendingTimestamp);
        timer.Change(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (gate)
        {
            if (state == State.Disposed || flushLoop is not null || pending.Count == 0)
                return; // a flush took the rows, or the loop re-arms when it ends
            if (ShouldFlush())
                StartFlush();
            else
                ArmTimer();
        }
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            List<PendingWrite> batch;
            lock (gate)
            {
                batch = pending;
                pending = [];
                pendingRows = 0;
                flushRequested = false;
                lastInFlight = batch.Count > 0 ? batch[^1] : null;
            }
            if (batch.Count > 0)
                await WriteBatchAsync(batch);
            lock (gate)
            {
                lastInFlight = null;
                // Rows that arrived during the write go next, at once if they are already due.
                if (state != State.Disposed && pending.Count > 0 && ShouldFlush())
                    continue;
                flushLoop = null;
                if (state != State.Disposed && pending.Count > 0)
                    ArmTimer();
                return;
            }
        }
    }

    private async Task WriteBatchAsync(List<PendingWrite> batch)
    {
        // A writer whose time ran out while its rows waited writes none of them: its job may belong to another worker now
        // (this process was paused past the lease), which reads the destination back and writes those rows itself. Told
        // only once the batch is done, so that a flush waiting on it still waits for the whole batch.
        var now = time.GetUtcNow();
        var late = batch.Where(w => w.WriteBy is { } writeBy && now >= writeBy()).ToArray();
        if (late.Length > 0)
        {
            batch = [.. batch.Except(late)];
            logger.LogWarning("{Writers} writers' time to write to {Destination} ran out before their batch; their {Rows} rows are left out.",
                late.Length, Description, late.Sum(w => w.Rows.Length));
        }
        try
        {
            await WriteBatchOfAsync(batch);
        }
        finally
        {
            foreach (var write in late)
                write.Completion.TrySetException(new SinkDeadlineException($"The time to write to {Description} ran out before these rows' batch started; none of them were written."));
        }
    }

    private async Task WriteBatchOfAsync(List<PendingWrite> batch)
    {
        var sent = batch.Sum(w => w.Rows.Length);
        var rows = new List<TableRow>(sent);
        var batchKeys = new HashSet<string>(sent, StringComparer.Ordinal);
        var counts = new (int Written, int Skipped)[batch.Count];
        for (var w = 0; w < batch.Count; w++)
        {
            foreach (var row in batch[w].Rows)
            {
                if (Holds(row.Key) || !batchKeys.Add(row.Key))
                {
                    counts[w].Skipped++;
                }
                else
                {
                    rows.Add(row);
                    counts[w].Written++;
                }
            }
        }

        if (rows.Count > 0)
        {
            var started = time.GetTimestamp();
            SinkWriteResult result;
            try
            {
                result = await inner.WriteAsync(rows, lifetime.Token);
            }
            catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
            {
                // Disposed mid-batch: its writers learn so as the writers still waiting did (the sink rolled back what it
                // did not finish), not from a bare "task was canceled" that no writer asked for.
                var disposed = new ObjectDisposedException(Description, "The sink was disposed while these rows were being written; the sink rolls back what it did not finish.");
                foreach (var write in batch)
                    write.Completion.TrySetException(disposed);
                return;
            }
            catch (Exception e)
            {
                // Not swallowed: every writer of this batch gets this exception, with its type and stack, from its own
                // WriteAsync. The sink stays usable; the next batch tries the destination again.
                logger.LogWarning(e, "Writing a batch of {Rows} rows from {Writers} writers to {Destination} failed.", rows.Count, batch.Count, Description);
                foreach (var write in batch)
                    write.Completion.TrySetException(e);
                return;
            }
            if (keyedInner is null)
                knownKeys.UnionWith(batchKeys);
            if (result.Written < rows.Count)
                Reattribute(counts, rows.Count - result.Written);
            logger.LogDebug("Wrote {Rows} rows from {Writers} writers to {Destination} in {Elapsed}.", rows.Count, batch.Count, Description, time.GetElapsedTime(started));
        }
        for (var w = 0; w < batch.Count; w++)
            batch[w].Completion.TrySetResult(new SinkWriteResult(counts[w].Written, counts[w].Skipped));
    }

    // The destination already held keys this process did not know of: something else writes to it, which the sinks'
    // contract rules out. The totals stay right; which writer's rows they were cannot be told from totals, so the
    // difference is taken from the last writers of the batch.
    private void Reattribute((int Written, int Skipped)[] counts, int alreadyThere)
    {
        logger.LogWarning("{Destination} skipped {Count} rows as already there that this process had not seen; is something else writing to it?", Description, alreadyThere);
        for (var w = counts.Length - 1; w >= 0 && alreadyThere > 0; w--)
        {
            var moved = Math.Min(counts[w].Written, alreadyThere);
            counts[w] = (counts[w].Written - moved, counts[w].Skipped + moved);
            alreadyThere -= moved;
        }
    }

    // Completes when the write's batch is done, whatever its outcome (the outcome is the writer's to observe).
    private static Task WhenDone(PendingWrite write) => Task.WhenAny(write.Completion.Task);

    private sealed class PendingWrite(TableRow[] rows, Func<DateTimeOffset>? writeBy)
    {
        public TableRow[] Rows { get; } = rows;

        public Func<DateTimeOffset>? WriteBy { get; } = writeBy;

        public TaskCompletionSource<SinkWriteResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
