using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pacer.Storage;

namespace Pacer.Engine;

/// <summary>
/// Writes job outcomes in batches: whatever has finished since the last write goes in one store transaction.
/// Keeps writing during shutdown until every queued outcome is stored; a store error is retried, never dropped.
/// </summary>
internal sealed partial class Completer(IJobStore store, TimeProvider time, ILogger logger, int batchSize)
{
    private readonly Channel<Pending> _channel = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _loop;

    public readonly record struct Pending(JobCompletion Completion, TaskCompletionSource<bool> Written);

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Queues an outcome; the task says whether the store accepted it (false: the lease was no longer held).</summary>
    public Task<bool> CompleteAsync(JobCompletion completion)
    {
        var written = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite(new Pending(completion, written)))
            written.SetException(new InvalidOperationException("The engine has stopped; the completion was not queued."));
        return written.Task;
    }

    /// <summary>Stops taking outcomes and waits until every queued one is written.</summary>
    public async Task StopAsync()
    {
        _channel.Writer.TryComplete();
        if (_loop is not null)
            await _loop;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(batchSize);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < batchSize && reader.TryRead(out var item))
                batch.Add(item);
            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        var completions = batch.Select(p => p.Completion).ToArray();
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                // Not cancellable: an outcome that was computed must reach the store, also while shutting down.
                var accepted = await store.CompleteManyAsync(completions, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                    batch[i].Written.TrySetResult(accepted[i]);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogWriteFailed(logger, ex, batch.Count, delay);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} job completions failed; retrying in {Delay}")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, TimeSpan delay);
}
