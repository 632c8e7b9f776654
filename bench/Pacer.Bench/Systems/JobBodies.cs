using System.Diagnostics;

namespace Pacer.Bench.Systems;

/// <summary>The kind of work a benchmark job does. Every system runs the same bodies, below.</summary>
internal enum JobBody
{
    /// <summary>Returns at once: measures the engine's own cost per job.</summary>
    Noop,

    /// <summary><c>await Task.Delay(1)</c>: a short asynchronous job, roughly one HTTP call to a fast local service.</summary>
    Delay1Ms,
}

/// <summary>
/// The job bodies shared by every system, and the probe they report to. Completion is counted here, by the bodies
/// themselves, so a drain is timed to the moment the last body ran rather than to the next poll of some store.
/// The benchmark runs one measurement at a time, so one static probe is enough.
/// </summary>
internal static class JobBodies
{
    private static long _done;
    private static long _lastFinished;
    private static long _target = long.MaxValue;
    private static TaskCompletionSource _allDone = NewSource();
    private static TaskCompletionSource<long>? _nextStart;

    public static void Noop(long enqueuedAt)
    {
        Start(enqueuedAt);
        Finish();
    }

    public static async Task Delay1MsAsync(long enqueuedAt)
    {
        Start(enqueuedAt);
        await Task.Delay(1);
        Finish();
    }

    /// <summary>Starts counting finished bodies; the task completes when <paramref name="count"/> have finished.</summary>
    public static Task ExpectDone(long count)
    {
        _allDone = NewSource();
        Interlocked.Exchange(ref _done, 0);
        Volatile.Write(ref _target, count);
        return _allDone.Task;
    }

    public static long Done => Interlocked.Read(ref _done);

    /// <summary>The Stopwatch timestamp of the latest body to finish (for drains timed across processes; the clock is system-wide).</summary>
    public static long LastFinishedAt => Interlocked.Read(ref _lastFinished);

    /// <summary>The next body to start reports the Stopwatch ticks from its enqueue stamp to its start.</summary>
    public static Task<long> ExpectStart()
    {
        var source = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _nextStart, source);
        return source.Task;
    }

    private static void Start(long enqueuedAt)
    {
        // Only latency runs wait on a start; drains pay one interlocked read of null.
        if (Volatile.Read(ref _nextStart) is not null)
            Interlocked.Exchange(ref _nextStart, null)?.TrySetResult(Stopwatch.GetTimestamp() - enqueuedAt);
    }

    private static void Finish()
    {
        Interlocked.Exchange(ref _lastFinished, Stopwatch.GetTimestamp());
        if (Interlocked.Increment(ref _done) == Volatile.Read(ref _target))
            _allDone.TrySetResult();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
