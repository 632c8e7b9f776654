namespace Pacer;

/// <summary>How to enqueue one job; unset values come from the kind's options.</summary>
public sealed record EnqueueOptions
{
    public string? Queue { get; init; }
    public int? Priority { get; init; }
    /// <summary>Run at this time (scheduled). Mutually exclusive with <see cref="RunIn"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }
    /// <summary>Run after this delay (scheduled).</summary>
    public TimeSpan? RunIn { get; init; }
    public int? MaxAttempts { get; init; }
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    /// <summary>Claims in addition to the kind's defaults.</summary>
    public IReadOnlyList<ResourceClaim>? Claims { get; init; }
    /// <summary>While a job with this key is unfinished, enqueuing again returns that job instead of a new one.</summary>
    public string? UniqueKey { get; init; }
}

/// <summary>The result of an enqueue: the job's id, and whether it already existed under the unique key.</summary>
public readonly record struct EnqueueResult(long Id, bool Existing);

/// <summary>One job for a batch enqueue by kind name.</summary>
public sealed record EnqueueRequest(string Kind, string ArgsJson, EnqueueOptions? Options = null);
