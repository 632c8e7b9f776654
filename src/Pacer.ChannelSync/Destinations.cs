using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pacer.Sinks;

namespace Pacer.ChannelSync;

/// <summary>Makes a sink for a destination string (<c>out.csv</c>, <c>out.xlsx</c>, <c>sqlite:PATH</c>, <c>sheets:ID/TAB</c>).</summary>
public interface ITableSinkFactory
{
    /// <summary>Creates the sink without touching the destination; a string that names no destination throws <see cref="SinkException"/>.</summary>
    ITableSink Create(string destination);
}

/// <summary>
/// The destinations open in this process. All channel jobs of a run write to the same few sinks at once, so each is
/// opened once (reading its keys back), shared behind a batching writer, and remembers every key it holds, which is how
/// a channel job knows a video is already there.
/// </summary>
internal sealed partial class Destinations(ITableSinkFactory factory, TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<OpenDestination>>> _open = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger("Pacer.ChannelSync");

    /// <summary>Opens a destination for a job; one that cannot be opened fails the job for good, in the sink's own words.</summary>
    /// <param name="writtenBefore">
    /// What other processes wrote before this moment must be known: a remote destination (Google Sheets) this process
    /// opened earlier is opened afresh, reading back what it holds now. A local file needs none of it: its sink sees
    /// another writer's change when it writes (a <see cref="SinkException"/>), and a SQLite table's key refuses a row twice.
    /// </param>
    public async Task<OpenDestination> OpenForJobAsync(string destination, DateTimeOffset writtenBefore, CancellationToken cancellationToken)
    {
        try
        {
            var open = await OpenAsync(destination, cancellationToken);
            if (open.OpenedAt >= writtenBefore || IsLocal(destination))
                return open;
            await CloseAsync(open);
            return await OpenAsync(destination, cancellationToken);
        }
        catch (SinkException ex)
        {
            throw new PermanentJobException(ex.Message, ex);
        }
    }

    public async Task<OpenDestination> OpenAsync(string destination, CancellationToken cancellationToken)
    {
        var lazy = _open.GetOrAdd(destination, d => new Lazy<Task<OpenDestination>>(() => OpenNewAsync(d)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failed open is not cached: the next job tries again (the file may be back, the service up).
            _open.TryRemove(new KeyValuePair<string, Lazy<Task<OpenDestination>>>(destination, lazy));
            throw;
        }
    }

    private async Task<OpenDestination> OpenNewAsync(string destination)
    {
        // Before the keys are read: anything written before this moment is among them.
        var openedAt = time.GetUtcNow();
        var sink = TableSinks.Batching(factory.Create(destination), BatchingFor(destination), time);
        var opened = false;
        try
        {
            // Not the caller's token: the open is shared by every job writing here. The keys come back from the sink
            // itself (Holds), so the snapshot is not kept: one set of a destination's keys per process, not one per layer.
            await sink.OpenAsync(VideoTable.Schema, CancellationToken.None);
            opened = true;
            return new OpenDestination(destination, sink, openedAt);
        }
        finally
        {
            if (!opened)
                await sink.DisposeAsync();
        }
    }

    /// <summary>
    /// A local file takes a write in milliseconds, so it flushes as soon as rows arrive: a channel job waits for its rows to
    /// be durable, and rows that arrive during a flush still go together in the next one (a group commit). A remote
    /// destination (Google Sheets: a second a call, 60 writes a minute) keeps the default delay, so rows from many channels
    /// share a call.
    /// </summary>
    internal static BatchingTableSinkOptions BatchingFor(string destination) =>
        IsLocal(destination) ? new BatchingTableSinkOptions { FlushDelay = TimeSpan.Zero } : new BatchingTableSinkOptions();

    private static bool IsLocal(string destination) =>
        destination.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ||
        destination.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ||
        destination.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Closes a destination a write failed on, so the next job to write there opens it afresh. Jobs writing to it meanwhile
    /// get an <see cref="ObjectDisposedException"/> (their rows were not written) and open it afresh too.
    /// </summary>
    public async Task CloseAsync(OpenDestination destination)
    {
        if (!_open.TryGetValue(destination.Destination, out var lazy) || !lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully
            || !ReferenceEquals(lazy.Value.Result, destination) || !_open.TryRemove(new KeyValuePair<string, Lazy<Task<OpenDestination>>>(destination.Destination, lazy)))
            return; // closed already by another job
        try
        {
            await destination.Sink.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The write's own error is what the job reports; this one is logged, not lost.
            LogCloseFailed(_logger, ex, destination.Destination);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing {Destination} after a failed write failed too")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string destination);

    /// <summary>
    /// Completes a destination at the end of a run (formatting, the final file) and closes it, so the next run reopens it.
    /// A destination that cannot be opened fails the job for good (<see cref="PermanentJobException"/>); a failure to
    /// complete one that opened (a workbook open in another program) is a <see cref="SinkException"/>, worth a retry:
    /// the next attempt opens it afresh and completes what is staged.
    /// </summary>
    public async Task CompleteAsync(string destination, CancellationToken cancellationToken)
    {
        if (!_open.TryRemove(destination, out var lazy))
        {
            // Nothing was written here in this process (e.g. every channel was unchanged, or an earlier attempt failed to
            // complete it): still complete it, so a destination left staged is finished.
            await using var sink = factory.Create(destination);
            try
            {
                await sink.OpenAsync(VideoTable.Schema, cancellationToken);
            }
            catch (SinkException ex)
            {
                throw new PermanentJobException(ex.Message, ex);
            }
            await sink.CompleteAsync(cancellationToken);
            return;
        }
        var open = await lazy.Value;
        await using (open.Sink)
            await open.Sink.CompleteAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _open.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                await lazy.Value.Result.Sink.DisposeAsync();
        }
        _open.Clear();
    }
}

/// <summary>An open destination, shared by the jobs writing to it.</summary>
internal sealed class OpenDestination(string destination, IBatchingTableSink sink, DateTimeOffset openedAt)
{
    public string Destination { get; } = destination;

    /// <summary>When its keys started to be read back: what anyone wrote before is among them.</summary>
    public DateTimeOffset OpenedAt { get; } = openedAt;

    public IBatchingTableSink Sink { get; } = sink;

    /// <summary>Whether the destination holds the key: there when it opened, or written since by any job.</summary>
    public bool Contains(string key) => Sink.Holds(key);

    /// <param name="writeBy">Past it the rows are left out and the write fails (see <see cref="IBatchingTableSink"/>).</param>
    public Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, Func<DateTimeOffset> writeBy, CancellationToken cancellationToken) =>
        Sink.WriteAsync(rows, writeBy, cancellationToken);
}
