using System.ComponentModel.DataAnnotations;

namespace Pacer;

/// <summary>Engine settings. Validated once at start (<c>ValidateOnStart</c>); defaults are listed on each property.</summary>
public sealed class PacerOptions : IValidatableObject
{
    /// <summary>Total jobs this process runs at once, across all queues. Default 100.</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = 100;

    /// <summary>
    /// Queues this process works, with each queue's own concurrency cap (never above <see cref="Concurrency"/> in total use).
    /// Default: <c>{ "default": Concurrency }</c>.
    /// </summary>
    public Dictionary<string, int> Queues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long a fetched job is held before the rescuer may hand it to someone else. Default 30 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often running jobs' leases are extended and external cancels are noticed. Default: a third of the lease.</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>How often an idle producer polls for due jobs (jittered by up to 10%). Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Graceful stop: how long running jobs may finish after fetching stops, before their tokens fire. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After a job's token fires (timeout, cancel, shutdown), how long it may take to return before its slot is reclaimed and it is reported. Default 5 s.</summary>
    public TimeSpan CancellationGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most completions written in one store transaction. Default 1,000.</summary>
    [Range(1, 100_000)]
    public int CompletionBatchSize { get; set; } = 1000;

    /// <summary>How often maintenance (rescuer, scheduler, recurring, cleaner) runs on the leader. Default 1 s.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long completed, cancelled and discarded jobs are kept before the cleaner deletes them. Default 7 days.</summary>
    public TimeSpan FinalizedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long an answer kept for conditional requests stays after it was stored (a 304 does not store it again). Past
    /// it the cleaner deletes it, and the next call gets the whole answer (a 200, where a 304 would have come) and keeps
    /// it again. Default 30 days.
    /// </summary>
    public TimeSpan HttpCacheRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>This process's id on leases and the leader lease. Default: host name, process id and a random suffix.</summary>
    public string? WorkerId { get; set; }

    /// <summary>
    /// At start, take back at once the running jobs of workers of this machine (same host name) whose process is gone,
    /// rather than when their leases run out: a worker restarted after a crash, or <c>pacer sync</c> run again after a
    /// kill, goes on in a second instead of <see cref="LeaseDuration"/>. The maintenance leader also looks every heartbeat
    /// interval, for a process killed beside a worker that keeps running. Only default worker ids (host:pid:suffix) are
    /// judged, and a process id that is running is never judged stopped. Turn off where two machines share a host name
    /// but not their processes (containers given the same hostname): there a worker could be thought stopped while it
    /// runs, and its jobs would run twice (fencing still rejects its outcomes). Default true.
    /// </summary>
    public bool RescueStoppedWorkers { get; set; } = true;

    /// <summary>Default retry policy for kinds that set none.</summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>Default attempts for kinds that set none. Default 25.</summary>
    [Range(1, 10_000)]
    public int MaxAttempts { get; set; } = 25;

    /// <summary>Default per-attempt timeout for kinds that set none. Default 30 minutes.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Resources jobs claim (APIs, accounts, upstreams), by name: rate limits, concurrency caps, quotas and breakers that
    /// admission checks before a job starts. Bound from <c>Pacer:Resources</c>; see docs/configuration.md. Default: none.
    /// </summary>
    public Dictionary<string, ResourceOptions> Resources { get; set; } = new(StringComparer.Ordinal);

    internal TimeSpan EffectiveHeartbeat => HeartbeatInterval ?? LeaseDuration / 3;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < TimeSpan.FromSeconds(1))
            yield return new("Pacer:LeaseDuration must be at least 1 second; a lease shorter than a heartbeat round trip is lost while the job runs.", [nameof(LeaseDuration)]);
        if (EffectiveHeartbeat <= TimeSpan.Zero || EffectiveHeartbeat >= LeaseDuration)
            yield return new("Pacer:HeartbeatInterval must be positive and shorter than LeaseDuration (default: a third of it).", [nameof(HeartbeatInterval)]);
        if (PollInterval <= TimeSpan.Zero)
            yield return new("Pacer:PollInterval must be positive, e.g. 00:00:01.", [nameof(PollInterval)]);
        if (MaintenanceInterval <= TimeSpan.Zero)
            yield return new("Pacer:MaintenanceInterval must be positive, e.g. 00:00:01.", [nameof(MaintenanceInterval)]);
        if (ShutdownTimeout < TimeSpan.Zero || CancellationGracePeriod < TimeSpan.Zero)
            yield return new("Pacer:ShutdownTimeout and CancellationGracePeriod may not be negative.", [nameof(ShutdownTimeout), nameof(CancellationGracePeriod)]);
        if (DefaultTimeout <= TimeSpan.Zero)
            yield return new("Pacer:DefaultTimeout must be positive.", [nameof(DefaultTimeout)]);
        if (HttpCacheRetention <= TimeSpan.Zero)
            yield return new("Pacer:HttpCacheRetention must be positive, e.g. 30.00:00:00.", [nameof(HttpCacheRetention)]);
        foreach (var (queue, slots) in Queues)
        {
            if (string.IsNullOrWhiteSpace(queue))
                yield return new("Pacer:Queues has an empty queue name; name every queue.", [nameof(Queues)]);
            if (slots < 1)
                yield return new($"Pacer:Queues:{queue} is {slots}; a queue's concurrency must be at least 1 (remove the queue to stop working it).", [nameof(Queues)]);
        }
        foreach (var result in Retry.Validate("Pacer:Retry"))
            yield return result;
        var resourceErrors = new List<ValidationResult>();
        Pacer.Resources.ResourceCatalog.TryCreate(Resources, resourceErrors);
        foreach (var result in resourceErrors)
            yield return result;
    }
}

/// <summary>Exponential backoff with full jitter: attempt n waits a random time in [0, min(MaxDelay, BaseDelay * 2^(n-1))].</summary>
public sealed class RetryOptions
{
    /// <summary>Delay cap before jitter of the first retry. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest delay before jitter. Default 1 hour.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether to randomise the delay ("full jitter"). Default true; turn off only in tests.</summary>
    public bool UseJitter { get; set; } = true;

    internal IEnumerable<ValidationResult> Validate(string path)
    {
        if (BaseDelay < TimeSpan.Zero)
            yield return new($"{path}:BaseDelay may not be negative.", [nameof(BaseDelay)]);
        if (MaxDelay < BaseDelay)
            yield return new($"{path}:MaxDelay ({MaxDelay}) must be at least BaseDelay ({BaseDelay}).", [nameof(MaxDelay)]);
    }
}

/// <summary>Settings of one job kind; unset values fall back to <see cref="PacerOptions"/>.</summary>
public sealed class JobKindOptions
{
    /// <summary>Queue used when the enqueuer names none. Default "default".</summary>
    public string Queue { get; set; } = "default";
    public int? MaxAttempts { get; set; }
    public TimeSpan? Timeout { get; set; }
    public RetryOptions? Retry { get; set; }
    public int Priority { get; set; }
    /// <summary>Resource claims added to every job of this kind (admission decides on them).</summary>
    public IList<ResourceClaim> Claims { get; } = [];
}
