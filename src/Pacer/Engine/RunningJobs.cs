using System.Collections.Concurrent;
using Pacer.Storage;

namespace Pacer.Engine;

/// <summary>Why a running job's token fired.</summary>
internal enum StopReason { None, Timeout, Cancelled, Shutdown, LeaseLost }

/// <summary>A job this process is running: its lease and the token its handler watches.</summary>
internal sealed class RunningJob : IDisposable
{
    private int _reason;
    private long _leaseHeldUntil;

    /// <param name="leaseHeldUntil">The lease's end as this process can be sure of it: the fetch's start plus the lease duration.</param>
    public RunningJob(FetchedJob fetched, TimeSpan timeout, TimeProvider time, DateTimeOffset leaseHeldUntil)
    {
        Job = fetched.Job;
        LeaseToken = fetched.LeaseToken;
        _leaseHeldUntil = leaseHeldUntil.UtcTicks;
        // The timeout runs on the injected clock, so FakeTimeProvider drives it in tests.
        Cancellation = new CancellationTokenSource(timeout, time);
        Cancellation.Token.UnsafeRegister(static state => ((RunningJob)state!).MarkReason(StopReason.Timeout), this);
    }

    public JobRecord Job { get; }
    public long LeaseToken { get; }
    public CancellationTokenSource Cancellation { get; }
    public StopReason Reason => (StopReason)Volatile.Read(ref _reason);

    /// <summary>Until when the lease surely holds, by this process's clock (see <see cref="JobContext.LeaseExpiresAt"/>).</summary>
    public DateTimeOffset LeaseHeldUntil => new(Volatile.Read(ref _leaseHeldUntil), TimeSpan.Zero);

    /// <summary>A heartbeat that started at <c>until - LeaseDuration</c> extended the lease.</summary>
    public void LeaseExtended(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long known;
        while (ticks > (known = Volatile.Read(ref _leaseHeldUntil)) && Interlocked.CompareExchange(ref _leaseHeldUntil, ticks, known) != known)
        {
        }
    }

    /// <summary>Set when the attempt failed in a way that is the job's own (a <see cref="PermanentJobException"/>), not a resource's.</summary>
    public bool FailedPermanently { get; set; }

    /// <summary>Fires the handler's token, remembering the first reason given.</summary>
    public void Stop(StopReason reason)
    {
        MarkReason(reason);
        try
        {
            Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The job finished and disposed its source while we were stopping it: nothing left to stop.
        }
    }

    private void MarkReason(StopReason reason) => Interlocked.CompareExchange(ref _reason, (int)reason, (int)StopReason.None);

    public void Dispose() => Cancellation.Dispose();
}

/// <summary>The jobs running in this process, shared by the engine (heartbeat, shutdown) and the client (local cancel).</summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, RunningJob> _jobs = new();

    public int Count => _jobs.Count;

    public void Add(RunningJob job) => _jobs[job.Job.Id] = job;

    public void Remove(RunningJob job) => _jobs.TryRemove(new KeyValuePair<long, RunningJob>(job.Job.Id, job));

    public bool TryGet(long id, out RunningJob job) => _jobs.TryGetValue(id, out job!);

    public IReadOnlyList<RunningJob> Snapshot() => [.. _jobs.Values];

    public void StopLocal(long id, StopReason reason)
    {
        if (_jobs.TryGetValue(id, out var job))
            job.Stop(reason);
    }
}
