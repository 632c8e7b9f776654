using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Pacer.Storage;

namespace Pacer.Resources;

/// <summary>
/// Resources at run time. Every change is one read-modify-write of the resource's stored state in a store transaction,
/// computed by the same <see cref="ResourceDefinition"/> rules admission uses, so processes sharing a store agree.
/// </summary>
internal sealed partial class PacerResources : IPacerResources
{
    /// <summary>How long a permit taken outside a job is held if its lease is never disposed (a crash, a leak).</summary>
    internal static readonly TimeSpan HoldTimeToLive = TimeSpan.FromMinutes(5);

    /// <summary>Running jobs read to find the partitions in use (more run at once only across very many workers).</summary>
    private const int RunningJobsListed = 10_000;

    /// <summary>How long <see cref="AcquireAsync"/> waits for a permit before it reports the resource unavailable.</summary>
    internal static readonly TimeSpan MaxAcquireWait = TimeSpan.FromSeconds(30);

    private readonly IJobStore _store;
    private readonly ResourceCatalogSource _catalogs;
    private readonly TimeProvider _time;
    private readonly Engine.WorkSignal _wake;
    private readonly ILogger _logger;
    private readonly Lazy<PartitionedRateLimiter<string>> _limiters;
    // When this process last had a call to each resource accepted (the time the call was sent). Kept in memory: storing
    // every success would be a store write per call, and one process's evidence is enough to end a 429 streak.
    private readonly ConcurrentDictionary<string, long> _acceptedAt = new(StringComparer.Ordinal);

    public PacerResources(IJobStore store, ResourceCatalogSource catalogs, TimeProvider time, Engine.WorkSignal wake, ILoggerFactory loggers)
    {
        _store = store;
        _catalogs = catalogs;
        _time = time;
        _wake = wake;
        _logger = loggers.CreateLogger("Pacer.Resources");
        _catalogs.Changed += changed => _ = WakeReconfiguredAsync(changed);
        _limiters = new(() => PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.Get(name, n => new ResourceRateLimiter(this, n))));
    }

    /// <summary>The catalog in force now; it changes when the configuration reloads.</summary>
    public ResourceCatalog Catalog => _catalogs.Current;

    public TimeProvider Time => _time;

    // ----- steering -----

    public async Task PauseAsync(string resource, TimeSpan? duration = null, string? reason = null, CancellationToken cancellationToken = default)
    {
        var definition = Require(resource);
        if (duration is { } d && d <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(duration), d, "A pause must last a positive time; leave it out to pause until resumed.");
        await UpdateAsync(resource, definition, (state, now) =>
        {
            state.Pause = new PauseData { Until = duration is { } length ? (now + length).UtcTicks : null, Reason = reason ?? "paused by an operator", Manual = true };
            return (true, 0);
        }, cancellationToken);
    }

    public async Task ResumeAsync(string resource, CancellationToken cancellationToken = default)
    {
        var definition = Require(resource);
        await UpdateAsync(resource, definition, (state, _) =>
        {
            var changed = state.Pause is not null;
            state.Pause = null;
            state.LimitedStreak = 0;
            return (changed, 0);
        }, cancellationToken, wake: true);
    }

    public async Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        JobKind.ValidateName(queue, "queue");
        await _store.SetQueuePausedAsync(queue, paused: true, _time.GetUtcNow(), cancellationToken);
    }

    public async Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        JobKind.ValidateName(queue, "queue");
        await _store.SetQueuePausedAsync(queue, paused: false, _time.GetUtcNow(), cancellationToken);
        _wake.NotifyAll();
    }

    public Task<IReadOnlyList<QueueState>> ListQueuesAsync(CancellationToken cancellationToken = default) =>
        _store.ListQueueStatesAsync(cancellationToken);

    // ----- feedback -----

    public Task<DateTimeOffset> ReportLimitedAsync(string resource, TimeSpan? retryAfter, string reason, CancellationToken cancellationToken = default)
    {
        var definition = DefinitionOf(resource);
        DateTimeOffset? accepted = _acceptedAt.TryGetValue(resource, out var ticks) ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        return UpdateAsync(resource, definition, (state, now) => (true, definition.RecordLimited(state, now, retryAfter, reason, accepted)), cancellationToken);
    }

    /// <summary>A call to the resource sent at <paramref name="sentAt"/> was answered without a limit signal.</summary>
    internal void NoteAccepted(string resource, DateTimeOffset sentAt) =>
        _acceptedAt.AddOrUpdate(resource, sentAt.UtcTicks, (_, known) => Math.Max(known, sentAt.UtcTicks));

    public Task<DateTimeOffset> ReportQuotaExhaustedAsync(string resource, string reason, CancellationToken cancellationToken = default) =>
        ReportQuotaExhaustedAsync(resource, reason, refusedUnits: 0, cancellationToken);

    /// <summary>As the public overload, knowing what the refused call was charged (the HTTP integration does).</summary>
    internal Task<DateTimeOffset> ReportQuotaExhaustedAsync(string resource, string reason, int refusedUnits, CancellationToken cancellationToken)
    {
        var definition = DefinitionOf(resource);
        return UpdateAsync(resource, definition, (state, now) => (true, definition.RecordQuotaExhausted(state, now, reason, refusedUnits)), cancellationToken);
    }

    public Task<bool> ReportOutcomeAsync(string resource, bool success, CancellationToken cancellationToken = default)
    {
        if (success)
            NoteAccepted(resource, _time.GetUtcNow());
        return RecordOutcomeAsync(resource, success, cancellationToken);
    }

    /// <summary>Counts an outcome toward the resource's breaker; the HTTP integration notes accepted calls itself, at their send time.</summary>
    internal async Task<bool> RecordOutcomeAsync(string resource, bool success, CancellationToken cancellationToken)
    {
        var definition = Catalog.Find(resource);
        if (definition?.Breaker is null)
            return false;
        var now = _time.GetUtcNow();
        var (open, closed) = await _store.UpdateResourcesAsync(new ResourceUpdateRequest<(bool Open, bool Closed)>([resource], now, input =>
        {
            var state = ResourceState.Parse(input.Resources.GetValueOrDefault(resource)?.State);
            definition.Normalize(state, now);
            bool open, closed = false;
            if (success)
            {
                closed = definition.RecordSuccess(state, now);
                open = false;
            }
            else
            {
                open = definition.RecordFailure(state, now);
            }
            return new ResourceUpdate<(bool, bool)>([new ResourceWrite(resource, state.ToJson())], (open, closed)) { Wake = closed ? [resource] : [] };
        }), cancellationToken);
        if (open)
            LogBreakerOpen(_logger, resource);
        if (closed)
        {
            LogBreakerClosed(_logger, resource);
            _wake.NotifyAll();
        }
        return open;
    }

    /// <summary>
    /// Counts a finished attempt toward the breakers of the resources it claimed (those its calls did not report on
    /// themselves), and says which breaker, if any, is open afterwards: the failure was then the resource's, not the job's.
    /// </summary>
    internal async Task<(string Resource, DateTimeOffset Until, string Reason)?> RecordAttemptAsync(JobRecord job, JobResourceScope scope, bool success, CancellationToken cancellationToken)
    {
        var breakers = job.Claims.Select(c => c.Resource).Distinct(StringComparer.Ordinal)
            .Select(name => (Name: name, Definition: Catalog.Find(name)))
            .Where(r => r.Definition?.Breaker is not null)
            .ToArray();
        if (breakers.Length == 0)
            return null;
        var now = _time.GetUtcNow();
        var (open, closed) = await _store.UpdateResourcesAsync(new ResourceUpdateRequest<((string, DateTimeOffset, string)? Open, string[] Closed)>(
            [.. breakers.Select(b => b.Name)], now, input =>
            {
                var writes = new List<ResourceWrite>();
                var closed = new List<string>();
                (string, DateTimeOffset, string)? open = null;
                foreach (var (name, definition) in breakers)
                {
                    var state = ResourceState.Parse(input.Resources.GetValueOrDefault(name)?.State);
                    var changed = definition!.Normalize(state, now);
                    if (!scope.WasReported(name))
                    {
                        if (success && definition.RecordSuccess(state, now))
                            closed.Add(name);
                        else if (!success)
                            definition.RecordFailure(state, now);
                        changed = true;
                    }
                    if (!success && open is null && state.Breaker is { Phase: BreakerPhase.Open } breaker)
                    {
                        var verdict = new Verdict(BlockReason.BreakerOpen, breaker.OpenUntil);
                        open = (name, new DateTimeOffset(breaker.OpenUntil, TimeSpan.Zero), definition.Describe(name, state, verdict, now));
                    }
                    if (changed)
                        writes.Add(new ResourceWrite(name, state.ToJson()));
                }
                return new ResourceUpdate<((string, DateTimeOffset, string)?, string[])>(writes, (open, [.. closed])) { Wake = closed };
            }), cancellationToken);
        foreach (var name in closed)
            LogBreakerClosed(_logger, name);
        if (closed.Length > 0)
            _wake.NotifyAll();
        return open;
    }

    /// <summary>Applies what a <see cref="ResourceUnavailableException"/> reports, and says until when its job should wait.</summary>
    internal async Task<DateTimeOffset> ApplyAsync(ResourceUnavailableException unavailable, DateTimeOffset fallback, CancellationToken cancellationToken) =>
        unavailable.Signal switch
        {
            ResourceSignal.Limited => await ReportLimitedAsync(unavailable.Resource, unavailable.RetryAfter, unavailable.Message, cancellationToken),
            ResourceSignal.QuotaExhausted => await ReportQuotaExhaustedAsync(unavailable.Resource, unavailable.Message, cancellationToken),
            _ => unavailable.RetryAt ?? fallback,
        };

    // ----- permits outside jobs -----

    public async ValueTask<RateLimitLease> AcquireAsync(string resource, int cost = 1, CancellationToken cancellationToken = default)
    {
        var result = await TryAcquireAsync(resource, cost, MaxAcquireWait, cancellationToken);
        if (!result.Granted)
            throw new ResourceUnavailableException(resource, result.Reason, result.RetryAt);
        return result.Lease!;
    }

    public async Task ReserveAsync(string resource, int cost, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentOutOfRangeException.ThrowIfLessThan(cost, 1);
        var scope = JobResourceScope.Current
            ?? throw new InvalidOperationException("ReserveAsync reserves quota for the running job's calls; call it from a job handler.");
        if (Catalog.Find(resource) is not { Quota: { } quota } definition)
            return;
        var (window, refusal, retryAt) = await UpdateAsync(resource, definition, (state, now) =>
        {
            var verdict = definition.CheckReservation(state, cost, now);
            if (!verdict.Allowed)
            {
                return (false, (0L, definition.Describe(resource, state, verdict, now),
                    verdict.RetryAtTicks is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : (DateTimeOffset?)null));
            }
            var start = quota.WindowAt(now).Start.UtcTicks;
            state.Quota ??= new QuotaData { Window = start };
            state.Quota.Reserve(scope.Job.Id, scope.Job.Attempt, cost);
            return (true, (start, (string?)null, (DateTimeOffset?)null));
        }, cancellationToken);
        if (refusal is not null)
            throw new ResourceUnavailableException(resource, refusal, retryAt);
        scope.AddReserved(resource, cost, window);
    }

    /// <summary>
    /// Gives the quota back what the attempt reserved and its calls did not spend, if the quota's window is still the one
    /// it was reserved in (a reset already gave everything back).
    /// </summary>
    /// <remarks>
    /// What goes back is what the store's record of the reservation says is left (the attempt's own count agrees with it,
    /// unless the job was rescued meanwhile and the rescue gave it back already: then nothing).
    /// </remarks>
    internal async Task RefundReservedAsync(JobResourceScope scope, CancellationToken cancellationToken)
    {
        var job = scope.Job;
        foreach (var (resource, _, window) in scope.TakeReserved())
        {
            if (Catalog.Find(resource) is not { Quota: not null } definition)
                continue;
            await UpdateAsync(resource, definition, (state, _) =>
            {
                if (state.Quota is not { } used || used.Window != window)
                    return (false, 0);
                return (used.ReleaseWhere(r => r.Job == job.Id && r.Attempt == job.Attempt) > 0, 0);
            }, cancellationToken, wake: true);
        }
    }

    /// <summary>
    /// Gives back the unspent reservations of attempts that ended without giving them back themselves: their jobs were
    /// rescued (a process killed, a lease lost), or the refund at the attempt's end failed (a store error).
    /// <paramref name="jobs"/> are the jobs as read after the fact, null for one that is gone. An attempt is over if its
    /// job is gone, runs a later attempt, or is not running that one; a job started again after it was read runs a
    /// later attempt, whose reservation stays. Reservations of jobs not in <paramref name="jobs"/> are left alone.
    /// </summary>
    /// <returns>The units given back.</returns>
    /// <param name="reserving">The resources holding reservations (<see cref="ReservationsAsync"/>).</param>
    internal async Task<int> ReleaseEndedAsync(IEnumerable<string> reserving, IReadOnlyDictionary<long, JobRecord?> jobs, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0)
            return 0;
        var released = 0;
        foreach (var resource in reserving)
        {
            if (Catalog.Find(resource) is not { Quota: not null } definition)
                continue;
            released += await UpdateAsync(resource, definition, (state, _) =>
            {
                var units = state.Quota?.ReleaseWhere(r => jobs.TryGetValue(r.Job, out var job)
                    && (job is null || r.Attempt < job.Attempt || (r.Attempt == job.Attempt && job.State != JobState.Running))) ?? 0;
                return (units > 0, units);
            }, cancellationToken, wake: true);
        }
        return released;
    }

    /// <summary>
    /// The resources holding quota reservations now and the jobs holding them, partitions of templates included
    /// (account:42 is in no list of definitions).
    /// </summary>
    internal async Task<IReadOnlyDictionary<string, long[]>> ReservationsAsync(CancellationToken cancellationToken)
    {
        var reservations = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var row in await _store.ListResourcesAsync(cancellationToken))
        {
            if (ResourceState.Parse(row.State).Quota?.Reserved is { Count: > 0 } reserved)
                reservations[row.Name] = [.. reserved.Select(r => r.Job).Distinct()];
        }
        return reservations;
    }

    public RateLimiter GetRateLimiter(string resource)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        return new ResourceRateLimiter(this, resource);
    }

    public PartitionedRateLimiter<string> Limiters => _limiters.Value;

    internal readonly record struct AcquireResult(bool Granted, ResourceLease? Lease, DateTimeOffset? RetryAt, string Reason);

    /// <summary>Takes permits, waiting while the next permit is at most <paramref name="maxWait"/> away; never throws for "not now".</summary>
    /// <param name="quotaPaid">Units of <paramref name="cost"/> whose quota was reserved before: they take rate and concurrency permits only.</param>
    /// <param name="reservedBy">The job attempt whose reservation paid <paramref name="quotaPaid"/>: its record of what is left shrinks.</param>
    internal async Task<AcquireResult> TryAcquireAsync(string resource, int cost, TimeSpan maxWait, CancellationToken cancellationToken, int quotaPaid = 0, JobRecord? reservedBy = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentOutOfRangeException.ThrowIfLessThan(cost, 1);
        var definition = Catalog.Find(resource);
        if (definition is null)
            return new AcquireResult(true, new ResourceLease(this, resource, null, cost), null, "");
        var deadline = _time.GetUtcNow() + maxWait;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var holdId = definition.Concurrency is null ? null : Guid.NewGuid().ToString("N");
            var (verdict, startAt, reason) = await _store.UpdateResourcesAsync(new ResourceUpdateRequest<(Verdict, DateTimeOffset, string)>([resource], _time.GetUtcNow(), input =>
            {
                // The time inside the transaction, not before it: the wait for the store's lock must not age the decision.
                var now = _time.GetUtcNow();
                var state = ResourceState.Parse(input.Resources.GetValueOrDefault(resource)?.State);
                var changed = definition.Normalize(state, now);
                var inUse = input.RunningCosts.GetValueOrDefault(resource) + ResourceDefinition.HeldOutsideJobs(state);
                var verdict = definition.Check(state, state.Tat, cost, now, inUse, cost - quotaPaid);
                var startAt = now;
                // Waiting only for a rate permit the caller may wait for: reserve it now, at its time, like admission
                // does. Waiters then take turns instead of all looking again at the same moment.
                if (verdict is { Reason: BlockReason.Rate, RetryAtTicks: { } at } && at <= deadline.UtcTicks)
                {
                    startAt = new DateTimeOffset(at, TimeSpan.Zero);
                    verdict = Verdict.Allow;
                }
                if (verdict.Allowed)
                {
                    definition.Grant(state, cost, startAt, cost - quotaPaid);
                    if (quotaPaid > 0 && reservedBy is not null)
                        state.Quota?.Spend(reservedBy.Id, reservedBy.Attempt, quotaPaid);
                    if (holdId is not null)
                        (state.Holds ??= []).Add(new HoldData { Id = holdId, Cost = cost, Expires = (startAt + HoldTimeToLive).UtcTicks });
                    changed = true;
                }
                var reason = verdict.Allowed ? "" : definition.Describe(resource, state, verdict, now);
                return new ResourceUpdate<(Verdict, DateTimeOffset, string)>(changed ? [new ResourceWrite(resource, state.ToJson())] : [], (verdict, startAt, reason));
            }) { IncludeRunningCosts = definition.Concurrency is not null }, cancellationToken);

            var now = _time.GetUtcNow();
            if (verdict.Allowed)
            {
                if (startAt > now)
                    await Task.Delay(startAt - now, _time, cancellationToken);
                return new AcquireResult(true, new ResourceLease(this, resource, holdId, cost), null, "");
            }
            var retryAt = verdict.RetryAtTicks is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : (DateTimeOffset?)null;
            // A concurrency permit or a probe's place comes back at no known time: look again shortly, while the caller may wait.
            var next = retryAt ?? now + TimeSpan.FromMilliseconds(50);
            if (next > deadline || (verdict.Reason is BlockReason.Paused or BlockReason.BreakerOpen or BlockReason.Quota && retryAt is null))
                return new AcquireResult(false, null, retryAt, reason);
            // The verdict's time was reckoned inside the store's transaction; the clock may have passed it since.
            if (next > now)
                await Task.Delay(next - now, _time, cancellationToken);
        }
    }

    /// <summary>Gives back a concurrency permit taken outside a job.</summary>
    internal async Task ReleaseHoldAsync(string resource, string holdId)
    {
        try
        {
            await _store.UpdateResourcesAsync(new ResourceUpdateRequest<bool>([resource], _time.GetUtcNow(), input =>
            {
                var state = ResourceState.Parse(input.Resources.GetValueOrDefault(resource)?.State);
                var removed = state.Holds?.RemoveAll(h => h.Id == holdId) > 0;
                return new ResourceUpdate<bool>(removed ? [new ResourceWrite(resource, state.ToJson())] : [], removed) { Wake = removed ? [resource] : [] };
            }), CancellationToken.None);
            _wake.NotifyAll();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The hold expires by itself (HoldTimeToLive); until then the permit stays taken.
            LogReleaseFailed(_logger, ex, resource);
        }
    }

    /// <summary>
    /// After a reload changed resources, the jobs parked on them were parked by the old limits (e.g. until a quota's reset
    /// that a larger quota no longer requires): make them available so admission judges them by the new ones.
    /// </summary>
    internal async Task WakeReconfiguredAsync(IReadOnlyList<ResourceDefinition> changed, CancellationToken cancellationToken = default)
    {
        try
        {
            var waiting = await _store.CountWaitingAsync(cancellationToken);
            var names = waiting.Keys.Where(name => changed.Any(d => d.Governs(name))).ToArray();
            if (names.Length > 0)
            {
                await _store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(names, _time.GetUtcNow(), _ => new([], 0) { Wake = names }), cancellationToken);
            }
            _wake.NotifyAll();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // They are looked at again when their parking time ends, as they would have been without the reload.
            LogWakeAfterReloadFailed(_logger, ex);
        }
    }

    // ----- listing -----

    public async Task<IReadOnlyList<ResourceStatus>> ListAsync(CancellationToken cancellationToken = default)
    {
        var rows = await _store.ListResourcesAsync(cancellationToken);
        var waiting = await _store.CountWaitingAsync(cancellationToken);
        var catalog = Catalog;
        // A partition holding only a concurrency cap stores no state: it is in use only through its running jobs' claims.
        var claimed = catalog.All.Any(d => d.IsTemplate)
            ? (await _store.ListAsync(new JobQuery { States = [JobState.Running], Limit = RunningJobsListed }, cancellationToken))
                .SelectMany(job => job.Claims).Select(claim => claim.Resource)
                .Where(name => catalog.Find(name) is { IsTemplate: true } template && template.Name != name)
            : [];
        var names = catalog.All.Where(d => !d.IsTemplate).Select(d => d.Name)
            .Concat(rows.Select(r => r.Name))
            .Concat(claimed)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        var now = _time.GetUtcNow();
        // Running costs come from the job rows: read them in the same way admission does.
        var running = names.Length == 0 ? new Dictionary<string, int>() : await _store.UpdateResourcesAsync(
            new ResourceUpdateRequest<IReadOnlyDictionary<string, int>>(names, now, input => new([], input.RunningCosts)) { IncludeRunningCosts = true },
            cancellationToken);
        var byName = rows.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var statuses = new List<ResourceStatus>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var definition = catalog.Find(name);
            var state = ResourceState.Parse(byName.GetValueOrDefault(name)?.State);
            statuses.Add(Status(name, definition, state, running.GetValueOrDefault(name), waiting.GetValueOrDefault(name), now));
        }
        foreach (var template in catalog.All.Where(d => d.IsTemplate))
        {
            statuses.Add(Status(template.Name, template, new ResourceState(), 0,
                waiting.Where(w => template.Governs(w.Key)).Sum(w => w.Value), now) with { Template = null });
        }
        return statuses;
    }

    private static ResourceStatus Status(string name, ResourceDefinition? definition, ResourceState state, int running, long waiting, DateTimeOffset now)
    {
        var d = definition ?? ResourceDefinition.Unlimited(name);
        d.Normalize(state, now);
        var nowTicks = now.UtcTicks;
        var window = d.Quota?.WindowAt(now);
        return new ResourceStatus
        {
            Name = name,
            Template = definition is { IsTemplate: true } && definition.Name != name ? definition.Name : null,
            Configured = definition is not null,
            Rate = d.Rates.Count == 0 ? null : string.Join(", ", d.Rates) + (d.Rates[0].Burst > 1 ? string.Create(CultureInfo.InvariantCulture, $" (burst {d.Rates[0].Burst})") : ""),
            RatePermitsAvailable = d.Rates.Count == 0 ? null : d.Rates.Select((r, i) => r.Available(state.Tat is { } t && i < t.Length ? t[i] : long.MinValue, nowTicks)).Min(),
            Concurrency = d.Concurrency,
            InUse = running + ResourceDefinition.HeldOutsideJobs(state),
            Quota = d.Quota?.ToString(),
            QuotaUsed = d.Quota is null ? null : state.Quota?.Used ?? 0,
            QuotaRemaining = d.Quota is null ? null : Math.Max(0, d.Quota.Units - (state.Quota?.Used ?? 0)),
            QuotaResetsAt = window?.End,
            QuotaExhausted = state.Quota?.ExhaustedUntil is not null,
            QuotaObserved = d.Quota is null ? null : state.QuotaObserved,
            Breaker = d.Breaker is null ? null : (state.Breaker?.Phase ?? BreakerPhase.Closed) switch
            {
                BreakerPhase.Open => "open",
                BreakerPhase.HalfOpen => "half-open",
                _ => "closed",
            },
            BreakerOpenUntil = state.Breaker is { Phase: BreakerPhase.Open } b ? new DateTimeOffset(b.OpenUntil, TimeSpan.Zero) : null,
            Paused = state.Pause is not null,
            PausedUntil = state.Pause?.Until is { } until ? new DateTimeOffset(until, TimeSpan.Zero) : null,
            PauseReason = state.Pause?.Reason,
            Waiting = waiting,
        };
    }

    // ----- helpers -----

    private ResourceDefinition Require(string resource)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        var catalog = Catalog;
        var definition = catalog.Find(resource);
        if (definition is null)
        {
            var known = catalog.All.Count == 0 ? "none is configured (Pacer:Resources)" : "configured: " + string.Join(", ", catalog.All.Select(d => d.Name));
            throw new ArgumentException($"Unknown resource '{resource}'; {known}.", nameof(resource));
        }
        if (ResourceCatalog.IsTemplateName(resource))
            throw new ArgumentException($"'{resource}' is a template; name one of its partitions, such as {definition.Name.Split('{')[0]}42.", nameof(resource));
        return definition;
    }

    /// <summary>Feedback may name a resource nobody configured (a server's answer is a fact): it then gets a bare definition.</summary>
    private ResourceDefinition DefinitionOf(string resource)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        return Catalog.Find(resource) ?? ResourceDefinition.Unlimited(resource);
    }

    private async Task<T> UpdateAsync<T>(string resource, ResourceDefinition definition, Func<ResourceState, DateTimeOffset, (bool Changed, T Result)> change,
        CancellationToken cancellationToken, bool wake = false)
    {
        var now = _time.GetUtcNow();
        var result = await _store.UpdateResourcesAsync(new ResourceUpdateRequest<T>([resource], now, input =>
        {
            var state = ResourceState.Parse(input.Resources.GetValueOrDefault(resource)?.State);
            var changed = definition.Normalize(state, now);
            var (touched, result) = change(state, now);
            return new ResourceUpdate<T>(changed || touched ? [new ResourceWrite(resource, state.ToJson())] : [], result) { Wake = wake ? [resource] : [] };
        }), cancellationToken);
        if (wake)
            _wake.NotifyAll();
        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit breaker of resource {Resource} is open")]
    private static partial void LogBreakerOpen(ILogger logger, string resource);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit breaker of resource {Resource} closed; waiting jobs woken")]
    private static partial void LogBreakerClosed(ILogger logger, string resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waking the jobs parked on reconfigured resources failed; they are looked at again when their parking ends")]
    private static partial void LogWakeAfterReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Returning a permit of resource {Resource} failed; it expires by itself")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string resource);
}
