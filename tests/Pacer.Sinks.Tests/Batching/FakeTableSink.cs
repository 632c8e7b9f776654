using System.Threading.Channels;

namespace Pacer.Sinks.Tests.Batching;

/// <summary>
/// A sink the test steers: each write shows up in <see cref="Writes"/> and, when <see cref="Gated"/>, waits there until
/// the test succeeds or fails it. It deduplicates like a real sink and notes whether two writes ever overlapped.
/// </summary>
internal sealed class FakeTableSink : ITableSink
{
    private readonly Lock gate = new();
    private readonly HashSet<string> keys = new(StringComparer.Ordinal);
    private int running;

    public Channel<FakeWrite> Writes { get; } = Channel.CreateUnbounded<FakeWrite>();

    public bool Gated { get; init; }

    /// <summary>Keys the destination holds before the run (returned by OpenAsync).</summary>
    public IReadOnlyList<string> Existing { get; init; } = [];

    /// <summary>Keys something else adds to the destination behind the sink's back, before the next write.</summary>
    public List<string> AddedBehindTheBack { get; } = [];

    public int MaxConcurrentCalls { get; private set; }

    public bool Completed { get; private set; }

    public bool Disposed { get; private set; }

    public string Description => "fake";

    public Task<IReadOnlySet<string>> OpenAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        keys.UnionWith(Existing);
        return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>(keys));
    }

    public async Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        using var call = Enter();
        var write = new FakeWrite([.. rows]);
        Writes.Writer.TryWrite(write);
        if (!Gated)
            write.Succeed();
        var failure = await write.Outcome.Task;
        if (failure is not null)
            throw failure;
        lock (gate)
        {
            keys.UnionWith(AddedBehindTheBack);
            var written = rows.Count(r => keys.Add(r.Key));
            return new SinkWriteResult(written, rows.Count - written);
        }
    }

    public Task CompleteAsync(CancellationToken cancellationToken)
    {
        using var call = Enter();
        Completed = true;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>The next write the batching sink sends, waited for as a signal (with a timeout that only guards the test).</summary>
    public async Task<FakeWrite> NextWriteAsync() =>
        await Writes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    private Call Enter()
    {
        lock (gate)
        {
            running++;
            MaxConcurrentCalls = Math.Max(MaxConcurrentCalls, running);
        }
        return new Call(this);
    }

    private readonly struct Call(FakeTableSink sink) : IDisposable
    {
        public void Dispose()
        {
            lock (sink.gate)
                sink.running--;
        }
    }
}

internal sealed class FakeWrite(TableRow[] rows)
{
    public TableRow[] Rows { get; } = rows;

    public TaskCompletionSource<Exception?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IEnumerable<string> Keys => Rows.Select(r => r.Key);

    public void Succeed() => Outcome.TrySetResult(null);

    public void Fail(Exception error) => Outcome.TrySetResult(error);
}
