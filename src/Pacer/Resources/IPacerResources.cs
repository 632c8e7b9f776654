using System.Threading.RateLimiting;

namespace Pacer;

/// <summary>
/// The configured resources at run time: see and steer them (pause, resume), report what servers say, and take permits
/// for work outside jobs. Thread-safe; resolve it from DI. State lives in the store, so every process sees the same.
/// </summary>
public interface IPacerResources
{
    /// <summary>Every configured resource and every partition with stored state, with its live figures.</summary>
    Task<IReadOnlyList<ResourceStatus>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops dispatching jobs that claim <paramref name="resource"/> (running ones finish), for a while or until resumed.</summary>
    /// <exception cref="ArgumentException">The resource is not configured (a template's partition, such as account:42, is).</exception>
    Task PauseAsync(string resource, TimeSpan? duration = null, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Ends a pause (an operator's or a server's) and wakes the jobs waiting on the resource.</summary>
    Task ResumeAsync(string resource, CancellationToken cancellationToken = default);

    /// <summary>Stops fetching jobs of a queue in every process until it is resumed.</summary>
    Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default);

    Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>Queues paused or resumed by hand, with their current flag.</summary>
    Task<IReadOnlyList<Storage.QueueState>> ListQueuesAsync(CancellationToken cancellationToken = default);

    /// <summary>The server said too many requests: the resource pauses until the returned time.</summary>
    Task<DateTimeOffset> ReportLimitedAsync(string resource, TimeSpan? retryAfter, string reason, CancellationToken cancellationToken = default);

    /// <summary>The server said the quota is used up: nothing is spent until the returned time (the window's reset).</summary>
    Task<DateTimeOffset> ReportQuotaExhaustedAsync(string resource, string reason, CancellationToken cancellationToken = default);

    /// <summary>A call to the resource succeeded or failed (for its circuit breaker).</summary>
    /// <returns>True if the breaker is open after this report.</returns>
    Task<bool> ReportOutcomeAsync(string resource, bool success, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes <paramref name="cost"/> permits of the resource for work outside a job, waiting while the wait is short
    /// (a rate limit's next permit). Dispose the lease to return a concurrency permit.
    /// </summary>
    /// <exception cref="ResourceUnavailableException">The resource cannot admit the cost soon (quota used up, breaker open, paused).</exception>
    ValueTask<RateLimitLease> AcquireAsync(string resource, int cost = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// From a job handler: reserves <paramref name="cost"/> units of the resource's quota for the calls this attempt is
    /// about to make through the HTTP integration, so work that needs many calls starts only if the quota can pay for all
    /// of them. Otherwise it throws, having spent nothing, and the job waits for the quota's reset without using an
    /// attempt. The attempt's calls spend the reservation first (rate limits still pace each call); whatever is left when
    /// the attempt ends goes back to the quota. A resource without a quota reserves nothing.
    /// </summary>
    /// <exception cref="ResourceUnavailableException">The quota cannot pay for <paramref name="cost"/> units in this window.</exception>
    /// <exception cref="InvalidOperationException">Called outside a job handler.</exception>
    Task ReserveAsync(string resource, int cost, CancellationToken cancellationToken = default);

    /// <summary>The resource as a <see cref="RateLimiter"/>, to guard code with the same limits (Polly's AddRateLimiter, ASP.NET Core).</summary>
    RateLimiter GetRateLimiter(string resource);

    /// <summary>All resources as one limiter keyed by resource name.</summary>
    PartitionedRateLimiter<string> Limiters { get; }
}

/// <summary>A resource's configuration and live state, as <c>pacer resources</c> shows it.</summary>
public sealed record ResourceStatus
{
    public required string Name { get; init; }
    /// <summary>For a partition, the template it comes from (<c>account:{AccountId}</c>); otherwise null.</summary>
    public string? Template { get; init; }
    /// <summary>False for a name with stored state but no configuration (e.g. after the configuration changed).</summary>
    public bool Configured { get; init; } = true;
    public string? Rate { get; init; }
    public int? RatePermitsAvailable { get; init; }
    public int? Concurrency { get; init; }
    public int InUse { get; init; }
    public string? Quota { get; init; }
    public long? QuotaUsed { get; init; }
    public long? QuotaRemaining { get; init; }
    public DateTimeOffset? QuotaResetsAt { get; init; }
    public bool QuotaExhausted { get; init; }
    /// <summary>
    /// What the server let through in a window before it refused, when that was less than <see cref="Quota"/> (the quota
    /// is shared, or the configured figure is more than was granted): reservations are held to it for a week.
    /// </summary>
    public long? QuotaObserved { get; init; }
    /// <summary>closed, open or half-open; null without a breaker.</summary>
    public string? Breaker { get; init; }
    public DateTimeOffset? BreakerOpenUntil { get; init; }
    public bool Paused { get; init; }
    public DateTimeOffset? PausedUntil { get; init; }
    public string? PauseReason { get; init; }
    /// <summary>Jobs parked waiting for this resource.</summary>
    public long Waiting { get; init; }
}
