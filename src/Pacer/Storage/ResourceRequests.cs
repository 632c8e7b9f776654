namespace Pacer.Storage;

/// <summary>A resource's stored state. The store keeps <see cref="State"/> as opaque text; only the core reads it.</summary>
/// <param name="UpdatedAt">When it was last written (the guard for deleting an idle partition).</param>
public sealed record ResourceRow(string Name, string State, DateTimeOffset UpdatedAt);

/// <summary>A resource state to write (insert or replace).</summary>
public sealed record ResourceWrite(string Name, string State);

/// <summary>Moves a due job to waiting: it stays out of fetches until <see cref="Until"/> or until woken, and keeps its place in dispatch order.</summary>
/// <param name="WaitingOn">The resource it waits for (woken by <see cref="IJobStore.WakeWaitingAsync"/> on that name).</param>
/// <param name="Reason">Shown to operators, e.g. "waiting for youtube quota (10000/day@America/Los_Angeles), resets 2026-12-02 08:00:00 UTC".</param>
public sealed record JobWait(long JobId, DateTimeOffset Until, string WaitingOn, string Reason);

/// <summary>A due job as admission sees it: what it claims. The store reads the whole job only for those admitted.</summary>
public sealed record AdmissionCandidate(long Id, IReadOnlyList<ResourceClaim> Claims);

/// <summary>What admission sees inside the fetch transaction.</summary>
/// <param name="Candidates">Due jobs of the queue in dispatch order (more than the slots, so that jobs on free resources can go first).</param>
/// <param name="Resources">Stored state of every resource the candidates claim that has a row.</param>
/// <param name="RunningCosts">For every resource the candidates claim: the sum of the claim costs of running jobs.</param>
public sealed record AdmissionInput(
    IReadOnlyList<AdmissionCandidate> Candidates,
    IReadOnlyDictionary<string, ResourceRow> Resources,
    IReadOnlyDictionary<string, int> RunningCosts,
    DateTimeOffset Now);

/// <summary>What admission decided: which candidates to claim, which to park, which resource states to write.</summary>
/// <param name="Admit">Ids to claim now, in dispatch order (each is still due: nothing else wrote in between).</param>
/// <param name="NextCheckAt">When a candidate left in place could be admitted, if known.</param>
public sealed record AdmissionDecision(
    IReadOnlyList<long> Admit,
    IReadOnlyList<JobWait> Park,
    IReadOnlyList<ResourceWrite> Writes,
    DateTimeOffset? NextCheckAt)
{
    /// <summary>
    /// Admitted jobs that may start only at a given moment a few milliseconds ahead (their rate limit's next permit), so
    /// that pacing does not lose the time a dispatch pass takes. The store ignores this; the engine holds them until then.
    /// </summary>
    public IReadOnlyDictionary<long, DateTimeOffset> StartAt { get; init; } = EmptyStartAt;

    private static readonly IReadOnlyDictionary<long, DateTimeOffset> EmptyStartAt = new Dictionary<long, DateTimeOffset>();
}

/// <summary>Admission's decision function. Pure and quick: it runs inside the store's write transaction and must not do I/O.</summary>
public delegate AdmissionDecision AdmissionDecider(AdmissionInput input);

/// <summary>A fetch in which admission chooses the jobs, in one transaction with the resource states it reads and writes.</summary>
/// <param name="CandidateLimit">How many due jobs admission may look at (at least <c>Fetch.Limit</c>).</param>
public sealed record AdmissionFetchRequest(FetchRequest Fetch, int CandidateLimit, AdmissionDecider Decide);

public sealed record AdmissionFetchResult(IReadOnlyList<FetchedJob> Jobs, int Parked, DateTimeOffset? NextCheckAt);

/// <summary>What a resource update sees inside its transaction.</summary>
/// <param name="RunningCosts">Sum of the claim costs of running jobs per requested name (empty unless asked for).</param>
public sealed record ResourceUpdateInput(IReadOnlyDictionary<string, ResourceRow> Resources, IReadOnlyDictionary<string, int> RunningCosts, DateTimeOffset Now);

/// <summary>What a resource update writes, and its result for the caller.</summary>
public sealed record ResourceUpdate<T>(IReadOnlyList<ResourceWrite> Writes, T Result)
{
    /// <summary>Resources whose waiting jobs all become available again in the same transaction (a breaker closed, a pause ended).</summary>
    public IReadOnlyList<string> Wake { get; init; } = [];
}

/// <summary>A read-modify-write of named resource states in one transaction (feedback, pauses, acquisitions outside jobs).</summary>
public sealed record ResourceUpdateRequest<T>(IReadOnlyList<string> Names, DateTimeOffset Now, Func<ResourceUpdateInput, ResourceUpdate<T>> Update)
{
    /// <summary>Whether <see cref="ResourceUpdateInput.RunningCosts"/> is filled in (it costs a query over running jobs).</summary>
    public bool IncludeRunningCosts { get; init; }
}

/// <param name="Limit">How many waiting jobs to make available, in dispatch order.</param>
public sealed record WakeRequest(string Resource, int Limit, DateTimeOffset Now);

/// <summary>A stored HTTP response for conditional requests.</summary>
/// <param name="Key">An opaque hash of method, URL and credentials; never the URL itself, which may carry an API key.</param>
/// <param name="Url">The URL with its query string removed, for operators.</param>
public sealed record HttpCacheEntry(
    string Key,
    string Url,
    string? ETag,
    string? LastModified,
    int Status,
    string Headers,
    byte[] Body,
    DateTimeOffset StoredAt);

/// <summary>A queue's stored pause flag. A queue is also held while the queue its name starts with is paused (<see cref="PausedWith"/>).</summary>
public sealed record QueueState(string Name, bool Paused, DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// The queue whose pause also holds <paramref name="queue"/>: the part of its name before the first <c>:</c>
    /// (<c>default</c> for <c>default:web-1</c>, a machine's queue of the channel-sync recipe), or null.
    /// </summary>
    public static string? PausedWith(string queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var colon = queue.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? queue[..colon] : null;
    }

    /// <summary>Whether <paramref name="queue"/> is held, by its own pause or by <see cref="PausedWith"/>'s, given the paused queues' names.</summary>
    public static bool IsHeld(string queue, IReadOnlySet<string> paused) =>
        paused.Contains(queue) || (PausedWith(queue) is { } parent && paused.Contains(parent));
}
