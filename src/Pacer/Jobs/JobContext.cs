using Microsoft.Extensions.Logging;

namespace Pacer;

/// <summary>What a handler knows about the attempt it runs.</summary>
public sealed class JobContext
{
    internal JobContext(JobRecord job, CancellationToken cancellationToken, ILogger logger, IJobEffects effects)
    {
        Job = job;
        CancellationToken = cancellationToken;
        Logger = logger;
        Effects = effects;
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
}
