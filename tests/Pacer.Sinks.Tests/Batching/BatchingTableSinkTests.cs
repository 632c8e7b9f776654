using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Time.Testing;

namespace Pacer.Sinks.Tests.Batching;

public sealed class BatchingTableSinkTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider time = new();

    [Fact]
    public async Task Write_PendingRowsReachFlushRows_FlushesWithoutWaitingForTheDelay()
    {
        var (sink, inner) = await OpenAsync(flushRows: 5);
        await using var _ = sink;

        var first = sink.WriteAsync(Rows.Of("a", "b", "c"), CancellationToken.None);
        Assert.Equal(0, sink.FlushesStarted);
        var second = sink.WriteAsync(Rows.Of("d", "e"), CancellationToken.None);

        Assert.Equal(["a", "b", "c", "d", "e"], (await inner.NextWriteAsync()).Keys);
        Assert.Equal(new SinkWriteResult(3, 0), await first.WaitAsync(Patience));
        Assert.Equal(new SinkWriteResult(2, 0), await second.WaitAsync(Patience));
    }

    [Fact]
    public async Task Write_FewRows_FlushesWhenTheOldestHasWaitedTheDelay()
    {
        var (sink, inner) = await OpenAsync(flushRows: 500, delay: TimeSpan.FromMilliseconds(250));
        await using var _ = sink;

        var first = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(200));
        // A later row does not restart the clock: the batch is due when the oldest row has waited 250 ms.
        var second = sink.WriteAsync(Rows.Of("b"), CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(49));
        Assert.Equal(0, sink.FlushesStarted);
        Assert.False(first.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(1, sink.FlushesStarted);
        Assert.Equal(["a", "b"], (await inner.NextWriteAsync()).Keys);
        Assert.Equal(new SinkWriteResult(1, 0), await first.WaitAsync(Patience));
        Assert.Equal(new SinkWriteResult(1, 0), await second.WaitAsync(Patience));
    }

    [Fact]
    public async Task Write_TheDelayRunsOutBetweenTwoLooksAtTheClock_TheTimerFiresAtOnce()
    {
        // A thread paused between "is the batch due?" (not yet) and "arm the timer for the rest" (the rest is now below
        // zero), as a loaded machine pauses one: the timer was given a negative delay, which threw (from the timer's own
        // callback: the process crashed) or, at exactly -1 ms, meant "never".
        var clock = new ClockMovingWhileRead(time, TimeSpan.FromMilliseconds(200));
        var inner = new FakeTableSink();
        await using var sink = TableSinks.Batching(inner, new BatchingTableSinkOptions { FlushRows = 500, FlushDelay = TimeSpan.FromMilliseconds(250) }, clock);
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        var write = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        Assert.Null(write.Exception);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(["a"], (await inner.NextWriteAsync()).Keys);
        Assert.Equal(new SinkWriteResult(1, 0), await write.WaitAsync(Patience));
    }

    [Fact]
    public async Task Write_WhileABatchIsBeingWritten_RowsAccumulateAndGoTogetherInTheNextBatch()
    {
        var (sink, inner) = await OpenAsync(flushRows: 1, gated: true);
        await using var _ = sink;

        var first = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var slow = await inner.NextWriteAsync();
        var later = new[] { "b", "c", "d", "e", "f" }.Select(k => sink.WriteAsync(Rows.Of(k), CancellationToken.None)).ToList();
        Assert.Equal(1, sink.FlushesStarted);

        slow.Succeed();
        var next = await inner.NextWriteAsync();
        next.Succeed();

        Assert.Equal(["b", "c", "d", "e", "f"], next.Keys);
        Assert.Equal(new SinkWriteResult(1, 0), await first.WaitAsync(Patience));
        Assert.All(await Task.WhenAll(later).WaitAsync(Patience), r => Assert.Equal(new SinkWriteResult(1, 0), r));
        Assert.Equal(1, inner.MaxConcurrentCalls);
    }

    [Fact]
    public async Task Write_SameKeyFromTwoWritersInOneBatch_IsWrittenForTheFirstAndSkippedForTheSecond()
    {
        var (sink, inner) = await OpenAsync(existing: ["x"]);
        await using var _ = sink;

        var first = sink.WriteAsync(Rows.Of("a", "b", "x", "a"), CancellationToken.None);
        var second = sink.WriteAsync(Rows.Of("b", "c"), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(new SinkWriteResult(2, 2), await first);
        Assert.Equal(new SinkWriteResult(1, 1), await second);
        Assert.Equal(["a", "b", "c"], (await inner.NextWriteAsync()).Keys);
    }

    [Fact]
    public async Task FailedBatch_FailsExactlyItsWritersAndTheSinkStaysUsable()
    {
        var (sink, inner) = await OpenAsync(flushRows: 2, gated: true);
        await using var _ = sink;

        var a = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var b = sink.WriteAsync(Rows.Of("b"), CancellationToken.None);
        var failing = await inner.NextWriteAsync();
        var c = sink.WriteAsync(Rows.Of("c"), CancellationToken.None);
        var d = sink.WriteAsync(Rows.Of("d"), CancellationToken.None);
        var disk = new IOException("disk full");
        failing.Fail(disk);
        var next = await inner.NextWriteAsync();
        next.Succeed();

        Assert.Same(disk, await Assert.ThrowsAsync<IOException>(() => a.WaitAsync(Patience)));
        Assert.Same(disk, await Assert.ThrowsAsync<IOException>(() => b.WaitAsync(Patience)));
        Assert.Equal(["c", "d"], next.Keys);
        Assert.Equal(new SinkWriteResult(1, 0), await c.WaitAsync(Patience));
        Assert.Equal(new SinkWriteResult(1, 0), await d.WaitAsync(Patience));

        // The failed rows were not recorded as known: writing them again writes them.
        var retry = sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
        (await inner.NextWriteAsync()).Succeed();
        Assert.Equal(new SinkWriteResult(2, 0), await retry.WaitAsync(Patience));
    }

    [Fact]
    public async Task CancelledWriter_StopsWaitingButTheBatchOthersWaitOnIsStillWritten()
    {
        var (sink, inner) = await OpenAsync(flushRows: 1, gated: true);
        await using var _ = sink;
        using var cancel = new CancellationTokenSource();

        var inFlight = sink.WriteAsync(Rows.Of("a"), cancel.Token);
        var first = await inner.NextWriteAsync();
        var pending = sink.WriteAsync(Rows.Of("b"), cancel.Token);
        var other = sink.WriteAsync(Rows.Of("c"), CancellationToken.None);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => inFlight);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        first.Succeed();
        var second = await inner.NextWriteAsync();
        second.Succeed();

        Assert.Equal(["b", "c"], second.Keys);
        Assert.Equal(new SinkWriteResult(1, 0), await other.WaitAsync(Patience));
        // The cancelled writers' rows were handed over and written: a retry finds them and skips them.
        var retry = sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
        Assert.Equal(new SinkWriteResult(0, 2), await retry.WaitAsync(Patience));
    }

    [Fact]
    public async Task WriterWhoseTimeRanOutWhileItsRowsWaited_WritesNoneOfThem_TheRestOfTheBatchGoes()
    {
        var (sink, inner) = await OpenAsync(flushRows: 500, delay: TimeSpan.FromMilliseconds(250), gated: true);
        await using var _ = sink;
        var start = time.GetUtcNow();

        var late = sink.WriteAsync(Rows.Of("a", "b"), () => start + TimeSpan.FromSeconds(10), CancellationToken.None);
        var onTime = sink.WriteAsync(Rows.Of("c"), () => start + TimeSpan.FromMinutes(1), CancellationToken.None);
        var plain = sink.WriteAsync(Rows.Of("d"), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(30)); // the process was paused, with the rows waiting for their batch

        var batch = await inner.NextWriteAsync();
        var toldBeforeTheBatchEnded = late.IsCompleted;
        batch.Succeed();

        Assert.Equal(["c", "d"], batch.Keys);
        Assert.False(toldBeforeTheBatchEnded); // a flush waiting on the late write waits for the whole batch
        await Assert.ThrowsAsync<SinkDeadlineException>(() => late.WaitAsync(Patience));
        Assert.Equal(new SinkWriteResult(1, 0), await onTime.WaitAsync(Patience));
        Assert.Equal(new SinkWriteResult(1, 0), await plain.WaitAsync(Patience));
        Assert.False(sink.Holds("a"));
    }

    [Fact]
    public async Task FlushAsync_WritesPendingRowsAtOnce()
    {
        var (sink, inner) = await OpenAsync(flushRows: 500, delay: TimeSpan.FromMinutes(1));
        await using var _ = sink;

        var write = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        // Written before FlushAsync returned, without the clock moving.
        Assert.True(inner.Writes.Reader.TryRead(out var written));
        Assert.Equal(["a"], written.Keys);
        Assert.Equal(new SinkWriteResult(1, 0), await write.WaitAsync(Patience));
    }

    [Fact]
    public async Task FlushAsync_WithABatchInFlightAndRowsPending_ReturnsWhenBothAreWritten()
    {
        var (sink, inner) = await OpenAsync(flushRows: 1, gated: true);
        await using var _ = sink;

        var a = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var first = await inner.NextWriteAsync();
        var b = sink.WriteAsync(Rows.Of("b"), CancellationToken.None);
        var flush = sink.FlushAsync(CancellationToken.None);
        first.Succeed();
        Assert.False(flush.IsCompleted);
        (await inner.NextWriteAsync()).Succeed();
        await flush.WaitAsync(Patience);

        Assert.Equal(new SinkWriteResult(1, 0), await a.WaitAsync(Patience));
        Assert.Equal(new SinkWriteResult(1, 0), await b.WaitAsync(Patience));
    }

    [Fact]
    public async Task CompleteAsync_FlushesPendingRowsCompletesTheInnerSinkAndRefusesLaterWrites()
    {
        var (sink, inner) = await OpenAsync(flushRows: 500, delay: TimeSpan.FromMinutes(1));
        await using var _ = sink;

        var write = sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(new SinkWriteResult(2, 0), await write);
        Assert.True(inner.Completed);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.WriteAsync(Rows.Of("c"), CancellationToken.None));
    }

    [Fact]
    public async Task DisposeAsync_FailsRowsStillPendingLetsTheBatchInFlightFinishAndDisposesTheInnerSink()
    {
        var (sink, inner) = await OpenAsync(flushRows: 1, gated: true);

        var inFlight = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var first = await inner.NextWriteAsync();
        var pending = sink.WriteAsync(Rows.Of("b"), CancellationToken.None);
        var dispose = sink.DisposeAsync().AsTask();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Patience));
        Assert.False(dispose.IsCompleted);
        first.Succeed();
        await dispose.WaitAsync(Patience);

        Assert.Equal(new SinkWriteResult(1, 0), await inFlight);
        Assert.True(inner.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sink.WriteAsync(Rows.Of("c"), CancellationToken.None));
    }

    [Fact]
    public async Task DisposeAsync_BatchInFlightStoppedByIt_ItsWritersLearnTheSinkWasDisposed_NotABareCancellation()
    {
        var (sink, inner) = await OpenAsync(flushRows: 1, gated: true);

        var inFlight = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var first = await inner.NextWriteAsync();
        var dispose = sink.DisposeAsync().AsTask();
        // The wrapped sink stops at its next safe point, as told by the sink's lifetime token.
        first.Fail(new OperationCanceledException());
        await dispose.WaitAsync(Patience);

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => inFlight.WaitAsync(Patience));
        Assert.Contains("disposed while these rows were being written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_DestinationAlreadyHoldsAKeyThisProcessDidNotKnow_TotalsStayRight()
    {
        var (sink, inner) = await OpenAsync();
        await using var _ = sink;
        inner.AddedBehindTheBack.Add("b");

        var first = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var second = sink.WriteAsync(Rows.Of("b"), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(new SinkWriteResult(1, 0), await first);
        Assert.Equal(new SinkWriteResult(0, 1), await second);
    }

    [Fact]
    public async Task Write_RowThatDoesNotFit_FailsOnlyItsCaller()
    {
        var (sink, inner) = await OpenAsync();
        await using var _ = sink;

        var good = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => sink.WriteAsync([new TableRow("bad", ["bad"])], CancellationToken.None));
        await sink.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(new SinkWriteResult(1, 0), await good);
        Assert.Equal(["a"], (await inner.NextWriteAsync()).Keys);
    }

    [Fact]
    public async Task Write_ManyConcurrentWriters_OneCallOnTheInnerSinkAtATime()
    {
        var inner = new FakeTableSink();
        await using var sink = TableSinks.Batching(inner, new BatchingTableSinkOptions { FlushRows = 10, FlushDelay = TimeSpan.Zero });
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(w =>
            Task.Run(() => sink.WriteAsync(Rows.Range($"w{w}-", 20), CancellationToken.None)))).WaitAsync(Patience);

        Assert.All(results, r => Assert.Equal(new SinkWriteResult(20, 0), r));
        Assert.Equal(1, inner.MaxConcurrentCalls);
    }

    [Fact]
    public async Task Holds_KeysThereAtOpenAndThoseOfWrittenBatches_NotRowsStillWaitingOrFailed()
    {
        var (sink, inner) = await OpenAsync(flushRows: 1, gated: true, existing: ["x"]);
        await using var _ = sink;
        Assert.True(sink.Holds("x"));

        var first = sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        var inFlight = await inner.NextWriteAsync();
        var failing = sink.WriteAsync(Rows.Of("b"), CancellationToken.None);
        Assert.False(sink.Holds("a"));

        inFlight.Succeed();
        Assert.Equal(new SinkWriteResult(1, 0), await first.WaitAsync(Patience));
        Assert.True(sink.Holds("a"));
        (await inner.NextWriteAsync()).Fail(new IOException("disk full"));
        await Assert.ThrowsAsync<IOException>(() => failing.WaitAsync(Patience));
        Assert.False(sink.Holds("b"));
    }

    [Fact]
    public async Task Holds_ReadFromManyThreadsWhileBatchesAreWritten_SeesEveryKeyOnceItsWriteReturned()
    {
        var (sink, _) = await OpenAsync(flushRows: 1);
        await using var __ = sink;

        var writers = Enumerable.Range(0, 20).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                var key = $"w{w}-{i}";
                await sink.WriteAsync(Rows.Of(key), CancellationToken.None);
                // Another thread may add to the set at this very moment; the key must still be found.
                Assert.True(sink.Holds(key), key);
            }
        }));
        await Task.WhenAll(writers).WaitAsync(Patience);

        Assert.All(Enumerable.Range(0, 20).SelectMany(w => Enumerable.Range(0, 50).Select(i => $"w{w}-{i}")), k => Assert.True(sink.Holds(k)));
    }

    [Fact]
    public async Task Write_BeforeOpen_Throws()
    {
        await using var sink = TableSinks.Batching(new FakeTableSink(), timeProvider: time);

        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.WriteAsync(Rows.Of("a"), CancellationToken.None));
        Assert.False(sink.Holds("a"));
    }

    [Fact]
    public void Options_OutOfRange_AreRejectedWhenTheSinkIsMade()
    {
        Assert.Throws<ValidationException>(() => TableSinks.Batching(new FakeTableSink(), new BatchingTableSinkOptions { FlushRows = 0 }));
        Assert.Throws<ValidationException>(() => TableSinks.Batching(new FakeTableSink(), new BatchingTableSinkOptions { FlushDelay = TimeSpan.FromSeconds(-1) }));
    }

    /// <summary>A clock that moves on each time it is read; its timers are <paramref name="timers"/>'.</summary>
    private sealed class ClockMovingWhileRead(FakeTimeProvider timers, TimeSpan step) : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref ticks, step.Ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            timers.CreateTimer(callback, state, dueTime, period);
    }

    private async Task<(BatchingTableSink Sink, FakeTableSink Inner)> OpenAsync(
        int flushRows = 500, TimeSpan? delay = null, bool gated = false, string[]? existing = null)
    {
        var inner = new FakeTableSink { Gated = gated, Existing = existing ?? [] };
        var options = new BatchingTableSinkOptions { FlushRows = flushRows, FlushDelay = delay ?? TimeSpan.FromMilliseconds(250) };
        var sink = (BatchingTableSink)TableSinks.Batching(inner, options, time);
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        return (sink, inner);
    }
}
