using System.Data.Common;

namespace Pacer;

/// <summary>Enqueue and manage jobs. Thread-safe; resolve it from DI.</summary>
public interface IPacerClient
{
    /// <summary>Enqueues one job of the kind registered for <typeparamref name="TArgs"/>.</summary>
    Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues one job by kind name with JSON arguments, validated against the kind's args type.</summary>
    /// <exception cref="JobArgsException">Unknown kind, invalid JSON or arguments failing validation; nothing is stored.</exception>
    Task<EnqueueResult> EnqueueAsync(string kind, string argsJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues many jobs in one transaction: all are stored or none.</summary>
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<EnqueueRequest> jobs, CancellationToken cancellationToken = default);

    /// <summary>Enqueues inside the caller's open transaction on the store's database: the jobs exist if and only if it commits.</summary>
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<EnqueueRequest> jobs, DbTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Cancels a job: a waiting job never starts; a running job's token fires.</summary>
    Task<Storage.CancelResult> CancelAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Makes a finished or retrying job run again now.</summary>
    Task<Storage.RetryResult> RetryAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels every unfinished job the filter matches (by default in any unfinished state), one by one as
    /// <see cref="CancelAsync"/> does; jobs that finish meanwhile are left alone.
    /// </summary>
    /// <exception cref="ArgumentException">The filter names a finished state.</exception>
    Task<CancelManyResult> CancelManyAsync(JobFilter filter, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="CancelManyAsync(JobFilter, CancellationToken)"/>
    /// <param name="filter">Which jobs.</param>
    /// <param name="progress">
    /// Told the totals so far after every page of up to 500 jobs, each page its own transaction: when the call is
    /// cancelled part way, the jobs last reported stay cancelled and the rest are as they were.
    /// </param>
    /// <param name="cancellationToken">Stops the operation between pages.</param>
    Task<CancelManyResult> CancelManyAsync(JobFilter filter, IProgress<CancelManyResult>? progress, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every job the filter matches run again now (by default the discarded ones: those that failed for good),
    /// one by one as <see cref="RetryAsync"/> does: a job out of attempts gets one more, and a job whose unique key
    /// another unfinished job holds now is left as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The filter names a state a job cannot be retried from (scheduled, available, waiting, running).</exception>
    Task<RetryManyResult> RetryManyAsync(JobFilter filter, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="RetryManyAsync(JobFilter, CancellationToken)"/>
    /// <param name="filter">Which jobs.</param>
    /// <param name="progress">
    /// Told the totals so far after every page of up to 500 jobs, each page its own transaction: when the call is
    /// cancelled part way, the jobs last reported stay retried and the rest are as they were.
    /// </param>
    /// <param name="cancellationToken">Stops the operation between pages.</param>
    Task<RetryManyResult> RetryManyAsync(JobFilter filter, IProgress<RetryManyResult>? progress, CancellationToken cancellationToken = default);

    Task<JobRecord?> GetAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers or replaces a recurring schedule kept in the store, so every worker on the store enqueues one job per
    /// slot (once, whichever worker), also after this process exits. Validated now: cron, time zone, kind and arguments.
    /// </summary>
    /// <exception cref="JobArgsException">Unknown kind or invalid arguments.</exception>
    /// <exception cref="ArgumentException">Invalid name, cron or time zone, or options that make no sense on a schedule.</exception>
    Task ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a stored schedule; false if there was none. Jobs it already enqueued stay.</summary>
    Task<bool> UnscheduleAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The schedules registered in code on this process and those stored, with their next slot.</summary>
    Task<IReadOnlyList<ScheduleInfo>> ListSchedulesAsync(CancellationToken cancellationToken = default);
}

/// <summary>A recurring schedule to keep in the store.</summary>
/// <param name="Cron">Cronos syntax: 5 fields, or 6 with seconds first.</param>
/// <param name="TimeZone">An IANA time zone id such as <c>Europe/Berlin</c>; default UTC.</param>
/// <param name="Options">Queue, priority, attempts, timeout, tags and claims of each job (not RunAt, RunIn or UniqueKey).</param>
public sealed record ScheduleRequest(string Name, string Cron, string Kind, string ArgsJson = "{}", string? TimeZone = null, EnqueueOptions? Options = null);

/// <param name="Stored">True for a schedule kept in the store; false for one registered in code (AddRecurring).</param>
public sealed record ScheduleInfo(string Name, string Cron, string TimeZone, string Kind, string ArgsJson, bool Stored, DateTimeOffset? NextSlot)
{
    /// <summary>
    /// The queue its jobs go to: the schedule's own, else its kind's (when this process has the kind registered), else
    /// <c>default</c>. Only workers that work this queue run them.
    /// </summary>
    public string Queue { get; init; } = "default";
}

/// <summary>Which jobs a bulk operation takes: a job must match every filter given.</summary>
public sealed record JobFilter
{
    /// <summary>Only jobs in these states; null or empty for the operation's default.</summary>
    public IReadOnlyList<JobState>? States { get; init; }

    public string? Queue { get; init; }

    public string? Kind { get; init; }

    /// <summary>Only jobs carrying this tag (e.g. a recipe's run).</summary>
    public string? Tag { get; init; }
}

/// <param name="Cancelled">Jobs that were not running: they never start.</param>
/// <param name="CancelRequested">Running jobs: their workers stop them (another process's at its next heartbeat).</param>
public sealed record CancelManyResult(int Cancelled, int CancelRequested);

/// <param name="Retried">Jobs made available now.</param>
/// <param name="AlreadyWaiting">Jobs left as they were because another unfinished job holds their unique key (that work already waits).</param>
public sealed record RetryManyResult(int Retried, int AlreadyWaiting);
