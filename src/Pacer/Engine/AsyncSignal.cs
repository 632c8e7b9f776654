namespace Pacer.Engine;

/// <summary>A resettable wake-up flag that any number of tasks can await; setting it twice is harmless.</summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = NewSource();

    public void Set() => Volatile.Read(ref _tcs).TrySetResult();

    /// <summary>Clears the flag if it is set. Call before checking for work, so a Set that races the check is not lost.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _tcs);
        if (current.Task.IsCompleted)
            Interlocked.CompareExchange(ref _tcs, NewSource(), current);
    }

    public Task WaitAsync() => Volatile.Read(ref _tcs).Task;

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Wakes producers in this process when work for their queue arrives or slots free up.</summary>
internal sealed class WorkSignal
{
    private readonly Dictionary<string, AsyncSignal> _queues = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public AsyncSignal For(string queue)
    {
        lock (_lock)
        {
            if (!_queues.TryGetValue(queue, out var signal))
                _queues[queue] = signal = new AsyncSignal();
            return signal;
        }
    }

    public void Notify(string queue) => For(queue).Set();

    public void NotifyAll()
    {
        AsyncSignal[] all;
        lock (_lock)
            all = [.. _queues.Values];
        foreach (var signal in all)
            signal.Set();
    }
}
