using Microsoft.Extensions.Logging;

namespace Pacer;

/// <summary>What a handler knows about the attempt it runs.</summary>
public sealed class JobContext
{
    private readonly Func<DateTimeOffset> _leaseExpiresAt;

    internal JobContext(JobRecord job, CancellationToken cancellationToken, ILogger logger, IJobEffects effects, Func<DateTimeOffset> leaseExpiresAt)
    {
        Job = job;
        CancellationToken = cancellationToken;
        Logger = logger;
        Effects = effects;
        _leaseExpiresAt = leaseExpiresAt;
    }

    /// <summary>The job as fetched for this attempt.</summary>
    public JobRecord Job { get; }
    public long JobId => Job.Id;
    public string Kind => Job.Kind;
    /// <summary>1 for the first attempt.</summary>
    public int Attempt => Job.Attempt;
    public int MaxAttempts => Job.MaxAttempts;
    /// <summary>Fires on the kind's timeout, on a cancel from outside, and on shutdown.</summary>
    public CancellationToken CancellationToken { get; }
    /// <summary>A logger whose scope carries the job id, kind, queue and attempt.</summary>
    public ILogger Logger { get; }
    /// <summary>The effects ledger: run side effects at most once across attempts and crashes.</summary>
    public IJobEffects Effects { get; }

    /// <summary>
    /// Until when this attempt surely holds the job's lease, by this process's clock: the start of the fetch or of the last
    /// heartbeat that extended it, plus <c>LeaseDuration</c>. Later, another worker may have been handed the job (this
    /// process was paused, a machine slept, the store was out of reach), and an effect started now could happen twice: the
    /// ledger and completions are fenced by the store, a call to another service is not. Look right before such a call
    /// (with a margin for the call itself); a heartbeat moves this forward every <c>HeartbeatInterval</c>.
    /// </summary>
    public DateTimeOffset LeaseExpiresAt => _leaseExpiresAt();
}
