using System.Diagnostics;

namespace Pacer.Engine;

/// <summary>
/// Short waits to about a tenth of a millisecond, on the system clock.
/// </summary>
/// <remarks>
/// Why not <see cref="Task.Delay(TimeSpan)"/>: its timers fire from the runtime's timer queue, which on Linux reads the
/// coarse monotonic clock (one kernel tick, 4 ms at the common HZ=250), so a 1 ms delay takes about 4.4 ms on our CI
/// machines. A job admitted ahead of its rate permit waits for the permit; at 1,000 permits a second, each such job
/// started up to 4 ms late, holding its slot idle and, with no burst, losing the permit. Here one background thread
/// keeps the deadlines in order and waits for the earliest with <see cref="Monitor.Wait(object, int)"/>, which the
/// kernel ends within about 0.1 ms of the millisecond asked for (1.10 ms for 1 ms, measured). The thread starts with
/// the first wait and ends when this is disposed.
/// </remarks>
internal sealed class PreciseDelay : IDisposable
{
    private readonly object _gate = new();
    private readonly PriorityQueue<TaskCompletionSource, long> _deadlines = new();
    private Thread? _thread;
    private bool _disposed;

    /// <summary>Completes <paramref name="delay"/> from now, never earlier, and usually within a millisecond after.</summary>
    public Task DelayAsync(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
            return Task.CompletedTask;
        var deadline = Stopwatch.GetTimestamp() + (long)Math.Ceiling(delay.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        // Completed from the timer thread: the continuation must not run on it and hold up the next deadline.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _deadlines.Enqueue(done, deadline);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Pacer precise delay" };
                _thread.Start();
            }
            // The new deadline may be the earliest.
            Monitor.Pulse(_gate);
        }
        return done.Task;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        lock (_gate)
        {
            while (!_disposed)
            {
                var now = Stopwatch.GetTimestamp();
                while (_deadlines.TryPeek(out var waiter, out var deadline) && deadline <= now)
                {
                    _deadlines.Dequeue();
                    waiter.TrySetResult();
                }
                if (!_deadlines.TryPeek(out _, out var next))
                {
                    Monitor.Wait(_gate);
                    continue;
                }
                // Rounded up: waking before the deadline would only go round again.
                var milliseconds = (int)Math.Ceiling((next - now) * 1000.0 / Stopwatch.Frequency);
                Monitor.Wait(_gate, Math.Max(1, milliseconds));
            }
            // Nothing waits forever: a disposed engine has no job left waiting to start, but should one be, it starts.
            while (_deadlines.TryDequeue(out var waiter, out _))
                waiter.TrySetResult();
        }
    }
}
