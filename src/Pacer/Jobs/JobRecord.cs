namespace Pacer;

/// <summary>A claim on a named resource (an API, an account, an upstream) with a cost in that resource's units.</summary>
/// <param name="Resource">The resource name, e.g. <c>youtube</c> or <c>account:42</c>.</param>
/// <param name="Cost">Units the job takes from the resource; at least 1.</param>
public sealed record ResourceClaim(string Resource, int Cost = 1);

/// <summary>One failed attempt, kept on the job for as long as the job is kept.</summary>
public sealed record JobError(int Attempt, DateTimeOffset At, string Type, string Message, string? StackTrace);

/// <summary>A job as stored. Read model: change a job through the client or the engine, never by editing this.</summary>
public sealed record JobRecord
{
    public required long Id { get; init; }
    public required string Kind { get; init; }
    public required string Queue { get; init; }
    /// <summary>Higher runs first among due jobs of one queue.</summary>
    public required int Priority { get; init; }
    /// <summary>Arguments as JSON, validated against the kind's registered args type at enqueue.</summary>
    public required string Args { get; init; }
    public required JobState State { get; init; }
    /// <summary>Number of attempts started so far (1 while the first attempt runs).</summary>
    public required int Attempt { get; init; }
    public required int MaxAttempts { get; init; }
    public required DateTimeOffset ScheduledAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? AttemptedAt { get; init; }
    public DateTimeOffset? FinalizedAt { get; init; }
    /// <summary>Per-job timeout; null means the kind's default.</summary>
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<ResourceClaim> Claims { get; init; } = [];
    public string? UniqueKey { get; init; }
    public IReadOnlyList<JobError> Errors { get; init; } = [];
    /// <summary>W3C traceparent of the span that enqueued the job, so its execution links back.</summary>
    public string? TraceParent { get; init; }
    /// <summary>Who holds the lease while running (worker id), for operators.</summary>
    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>Set when a cancel was requested while the job was running.</summary>
    public bool CancelRequested { get; init; }
    /// <summary>While waiting: the resource it waits for.</summary>
    public string? WaitingOn { get; init; }
    /// <summary>While waiting: why, in words (e.g. "waiting for youtube quota (10000/day@America/Los_Angeles), resets 2026-12-02 08:00:00 UTC").</summary>
    public string? WaitReason { get; init; }
    /// <summary>While waiting: when it is looked at again at the latest (it may be woken sooner).</summary>
    public DateTimeOffset? WaitUntil { get; init; }
}
