namespace Pacer.Storage;

/// <summary>Feature flags, so the contract can grow without breaking stores.</summary>
public sealed record StoreCapabilities(string Name, bool SupportsListenNotify, bool SupportsMultipleProcesses)
{
    /// <summary>
    /// Whether processes on several machines share this store (PostgreSQL), so a job may run on another machine than the
    /// one that enqueued it. False for a store that only processes of one machine can open (a SQLite file).
    /// </summary>
    public bool SpansMachines { get; init; }
}

public sealed record MigrationResult(int FromVersion, int ToVersion, IReadOnlyList<string> Applied);

/// <summary>A job to insert. The store sets the state: scheduled if <see cref="ScheduledAt"/> is after the request's now, else available.</summary>
public sealed record JobInsert
{
    public required string Kind { get; init; }
    public required string Args { get; init; }
    public string Queue { get; init; } = "default";
    public int Priority { get; init; }
    public int MaxAttempts { get; init; } = 25;
    public required DateTimeOffset ScheduledAt { get; init; }
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<ResourceClaim> Claims { get; init; } = [];
    public string? UniqueKey { get; init; }
    public string? TraceParent { get; init; }
}

public sealed record InsertManyRequest(IReadOnlyList<JobInsert> Jobs, DateTimeOffset Now);

/// <param name="Id">The new job's id, or the existing job's id when <paramref name="Existing"/>.</param>
/// <param name="Existing">True when an unfinished job with the same unique key was returned instead of inserting.</param>
public sealed record InsertResult(long Id, bool Existing);

public sealed record ListDueRequest(string Queue, int Limit, DateTimeOffset Now);

/// <param name="Owner">Worker id written on the lease, for operators.</param>
public sealed record FetchRequest(string Queue, int Limit, DateTimeOffset Now, TimeSpan LeaseDuration, string Owner)
{
    /// <summary>When set, claim only these jobs (those admission granted), if still due.</summary>
    public IReadOnlyList<long>? OnlyIds { get; init; }
}

/// <summary>A claimed job and the token that fences every later write for this attempt.</summary>
public sealed record FetchedJob(JobRecord Job, long LeaseToken);

public readonly record struct LeaseRef(long JobId, long LeaseToken);

public sealed record ExtendLeasesRequest(IReadOnlyList<LeaseRef> Leases, DateTimeOffset Now, DateTimeOffset ExpiresAt);

/// <param name="Lost">Jobs no longer held under the given token (rescued, cancelled, or taken by another worker).</param>
/// <param name="CancelRequested">Jobs still held whose cancel was requested from outside.</param>
public sealed record ExtendLeasesResult(IReadOnlyList<long> Lost, IReadOnlyList<long> CancelRequested);

public enum CompletionKind
{
    /// <summary>Succeeded: completed (final).</summary>
    Completed,
    /// <summary>Failed: retryable at <see cref="JobCompletion.RunAt"/>, error appended.</summary>
    Retry,
    /// <summary>Failed permanently or out of attempts: discarded (final), error appended.</summary>
    Discard,
    /// <summary>Run again at <see cref="JobCompletion.RunAt"/> without using an attempt.</summary>
    Snooze,
    /// <summary>Stopped because a cancel was requested: cancelled (final).</summary>
    Cancel,
}

public sealed record JobCompletion(long JobId, long LeaseToken, CompletionKind Kind, DateTimeOffset At)
{
    /// <summary>When to run again (Retry and Snooze).</summary>
    public DateTimeOffset? RunAt { get; init; }
    /// <summary>The failed attempt's error (Retry, Discard, optionally Cancel).</summary>
    public JobError? Error { get; init; }

    /// <summary>
    /// For Snooze: the job waits for a resource (state waiting, until <see cref="RunAt"/> or until woken) instead of
    /// being scheduled. Either way no attempt is used.
    /// </summary>
    public ResourceWaitInfo? Wait { get; init; }

    /// <summary>Resources this job held with a concurrency cap: wake as many of their waiting jobs as the costs it returns.</summary>
    public IReadOnlyList<ResourceClaim> Release { get; init; } = [];
}

/// <summary>The resource a snoozed job waits for, and why.</summary>
public sealed record ResourceWaitInfo(string WaitingOn, string Reason);

public sealed record RescueRequest(DateTimeOffset Now, int Limit)
{
    /// <summary>
    /// Lease owners known to have stopped (a worker process on this machine that is gone): their running jobs are rescued
    /// now, whatever their leases say, instead of when the leases run out. A completion still needs the lease token, so
    /// an owner named here wrongly can only lose its jobs' outcomes, never write over another's.
    /// </summary>
    public IReadOnlyCollection<string> StoppedOwners { get; init; } = [];
}

public sealed record RescuedJob(long JobId, JobState NewState);

public enum CancelResult { NotFound, Cancelled, CancelRequested, AlreadyFinal }

public enum RetryResult { NotFound, Retried, Running, AlreadyWaiting }

public sealed record JobQuery
{
    public IReadOnlyList<JobState>? States { get; init; }
    public string? Queue { get; init; }
    public string? Kind { get; init; }
    /// <summary>Only jobs carrying this tag (e.g. the run a recipe's jobs belong to).</summary>
    public string? Tag { get; init; }
    /// <summary>Newest first; pass the last id seen to page on.</summary>
    public long? BeforeId { get; init; }
    public int Limit { get; init; } = 100;
}

public sealed record QueueStats(string Queue, IReadOnlyDictionary<JobState, long> Counts);

public sealed record StoreStats(IReadOnlyList<QueueStats> Queues, long FinalizedSince);

// ----- effects -----

/// <summary>Identifies one effect and fences it by the job's lease.</summary>
/// <param name="Key">Global effect key: the same key is the same effect whichever job records it.</param>
public sealed record EffectRequest(string Key, long JobId, long LeaseToken, int Attempt, DateTimeOffset Now)
{
    /// <summary>
    /// For <see cref="IJobStore.BeginEffectAsync"/>: when the record is in doubt (started, never done) and the handler
    /// has established that running it again is safe, take the record over and report <see cref="EffectBeginOutcome.Started"/>.
    /// </summary>
    public bool TakeOverInDoubt { get; init; }

    /// <summary>
    /// For the writes that record the effect done: from when the record may be deleted (and the key run again).
    /// Null: kept for good.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

public enum EffectState { Started, Done }

public sealed record EffectRecord(string Key, long JobId, EffectState State, int Attempt, string? ResultJson, DateTimeOffset StartedAt, DateTimeOffset? DoneAt)
{
    /// <summary>From when the record may be deleted by the cleaner; null for a record kept for good.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

public enum EffectBeginOutcome
{
    /// <summary>No earlier record: "started" is now recorded; perform the effect.</summary>
    Started,
    /// <summary>Already done: use <see cref="EffectBeginResult.Existing"/>'s result.</summary>
    AlreadyDone,
    /// <summary>Started earlier and never marked done (a crash in between): reconcile before re-running.</summary>
    InDoubt,
    /// <summary>The caller no longer holds the job's lease: do nothing.</summary>
    LeaseLost,
}

public sealed record EffectBeginResult(EffectBeginOutcome Outcome, EffectRecord? Existing);

public enum EffectTransactionOutcome { Done, AlreadyDone, LeaseLost }

public sealed record EffectTransactionResult(EffectTransactionOutcome Outcome, string? ResultJson);

// ----- recurring, leader -----

public sealed record RecurringInsert(string Name, DateTimeOffset Slot, JobInsert Job, DateTimeOffset Now);

/// <summary>
/// A recurring schedule kept in the store (registered at run time, e.g. by <c>pacer sync --every</c>), so every worker on
/// the store enqueues its slots. <see cref="Options"/> is the core's own JSON of the enqueue options.
/// </summary>
public sealed record StoredSchedule(string Name, string Cron, string TimeZone, string Kind, string Args, string? Options, DateTimeOffset UpdatedAt);

public sealed record LeaderRequest(string Name, string Owner, DateTimeOffset Now, TimeSpan Ttl);
