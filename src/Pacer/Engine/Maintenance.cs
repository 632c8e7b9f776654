using Microsoft.Extensions.Logging;
using Pacer.Storage;

namespace Pacer.Engine;

/// <summary>
/// Housekeeping that must run somewhere but only in one place at a time: the rescuer (expired leases), the scheduler
/// (due scheduled and retryable jobs become available), recurring slots, and the cleaner (finished jobs past retention).
/// Runs on the process holding the leader lease in the store; every step is a guarded statement, so even two leaders
/// for a moment would do no harm.
/// </summary>
internal sealed partial class Maintenance(
    IJobStore store,
    RecurringRegistry recurring,
    PacerClient client,
    PacerOptions options,
    TimeProvider time,
    IRandomSource random,
    WorkSignal signal,
    PacerTelemetry telemetry,
    Resources.PacerResources resources,
    string workerId,
    ILogger logger)
{
    internal const string LeaderName = "maintenance";
    private const int BatchLimit = 1000;
    /// <summary>Most jobs of stopped workers taken back in one look (the rest at the next, or when their leases run out).</summary>
    private const int StoppedBatchLimit = 10_000;
    private const int CleanBatch = 10_000;
    private static readonly TimeSpan CleanerInterval = TimeSpan.FromMinutes(1);

    /// <summary>How often the leader reads the resources for their gauges, while something listens to them.</summary>
    internal static readonly TimeSpan ResourceGaugeInterval = TimeSpan.FromSeconds(10);

    /// <summary>A template's partition (account:42) unused this long, with nothing left to remember, is forgotten.</summary>
    internal static readonly TimeSpan PartitionIdleTimeout = TimeSpan.FromMinutes(10);
    private DateTimeOffset _nextClean;
    private DateTimeOffset _nextStoppedLook;
    private DateTimeOffset _nextResourceGauges;
    private bool _isLeader;

    private TimeSpan LeaderTtl => options.MaintenanceInterval * 5 < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : options.MaintenanceInterval * 5;

    public async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stopping);
                failures = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failures++;
                LogFailed(logger, ex);
            }
            // Jittered so several processes do not contend in lockstep; slower while the store is in trouble.
            var interval = options.MaintenanceInterval * (0.8 + (0.4 * random.NextDouble())) * Math.Min(1 << Math.Min(failures, 5), 30);
            await Task.Delay(interval, time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Takes back the running jobs of this machine's workers whose processes are gone (see
    /// <see cref="PacerOptions.RescueStoppedWorkers"/>). Run by every worker as it starts, and by the leader every heartbeat
    /// interval; a failure here only means those jobs wait for their leases, so it is logged, not thrown.
    /// </summary>
    internal async Task RescueStoppedWorkersAsync(CancellationToken cancellationToken)
    {
        if (!options.RescueStoppedWorkers)
            return;
        try
        {
            var owners = await store.ListLeaseOwnersAsync(cancellationToken);
            var stopped = owners.Where(owner => owner != workerId && StoppedWorkers.HasStopped(owner)).ToArray();
            if (stopped.Length == 0)
                return;
            var rescued = await store.RescueExpiredAsync(new RescueRequest(time.GetUtcNow(), StoppedBatchLimit) { StoppedOwners = stopped }, cancellationToken);
            if (rescued.Count == 0)
                return;
            telemetry.Rescued.Add(rescued.Count);
            LogRescuedStopped(logger, rescued.Count, string.Join(", ", stopped));
            await ReleaseReservationsAsync(rescued, cancellationToken);
            signal.NotifyAll();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            LogRescueStoppedFailed(logger, ex);
        }
    }

    /// <summary>
    /// The quota the rescued attempts reserved and did not spend goes back: they will never give it back themselves. Read
    /// after the rescue, a job another worker has started again meanwhile keeps its new attempt's reservation.
    /// </summary>
    private Task ReleaseReservationsAsync(IReadOnlyList<RescuedJob> rescued, CancellationToken cancellationToken) =>
        ReleaseEndedAsync(rescued.Select(r => r.JobId).ToHashSet(), cancellationToken);

    /// <summary>
    /// Reservations whose attempt ended without giving them back (its refund failed on a store error, or a rescue's
    /// release did) go back at the cleaner's pace, rather than staying counted until the quota's window ends.
    /// </summary>
    private async Task ReleaseOrphanedReservationsAsync(CancellationToken cancellationToken)
    {
        var released = await ReleaseEndedAsync(null, cancellationToken);
        if (released > 0)
            LogOrphanedReservations(logger, released);
    }

    /// <summary>Reads the reservations once, then the jobs holding them (of <paramref name="only"/>, if given), and releases those whose attempt ended.</summary>
    private async Task<int> ReleaseEndedAsync(IReadOnlySet<long>? only, CancellationToken cancellationToken)
    {
        if (resources.Catalog.IsEmpty)
            return 0;
        var reservations = await resources.ReservationsAsync(cancellationToken);
        var jobs = new Dictionary<long, JobRecord?>();
        foreach (var id in reservations.Values.SelectMany(ids => ids).Distinct())
        {
            if (only is null || only.Contains(id))
                jobs[id] = await store.GetAsync(id, cancellationToken);
        }
        return await resources.ReleaseEndedAsync(reservations.Keys, jobs, cancellationToken);
    }

    internal async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var leader = await store.TryAcquireLeaderAsync(new LeaderRequest(LeaderName, workerId, now, LeaderTtl), cancellationToken);
        if (leader != _isLeader)
        {
            _isLeader = leader;
            LogLeadership(logger, workerId, leader);
            if (!leader)
                telemetry.ReportResources(null);
        }
        if (!leader)
            return;

        var rescued = await store.RescueExpiredAsync(new RescueRequest(now, BatchLimit), cancellationToken);
        if (rescued.Count > 0)
        {
            telemetry.Rescued.Add(rescued.Count);
            LogRescued(logger, rescued.Count);
            await ReleaseReservationsAsync(rescued, cancellationToken);
        }
        // Every start looks for this machine's stopped workers; the leader also looks now and then, so a process killed
        // next to a worker that keeps running (a pacer sync beside pacer run) has its jobs taken back within a heartbeat
        // interval, not a lease. Every start already looked, so the first look waits one interval.
        if (_nextStoppedLook == default)
            _nextStoppedLook = now + options.EffectiveHeartbeat;
        else if (now >= _nextStoppedLook)
        {
            _nextStoppedLook = now + options.EffectiveHeartbeat;
            await RescueStoppedWorkersAsync(cancellationToken);
        }
        var promoted = await store.PromoteDueAsync(now, BatchLimit, cancellationToken);
        var enqueued = await EnqueueRecurringAsync(now, cancellationToken);
        if (rescued.Count > 0 || promoted > 0 || enqueued > 0)
            signal.NotifyAll();

        if (now >= _nextResourceGauges && telemetry.ResourceGaugesEnabled)
        {
            _nextResourceGauges = now + ResourceGaugeInterval;
            telemetry.ReportResources(ResourceGauge.From(await resources.ListAsync(cancellationToken), resources.Catalog));
        }

        if (now >= _nextClean)
        {
            var deleted = await store.DeleteFinalizedAsync(now - options.FinalizedRetention, CleanBatch, cancellationToken);
            if (deleted > 0)
            {
                telemetry.Cleaned.Add(deleted);
                LogCleaned(logger, deleted);
            }
            // The other tables that grow with work done: effect records given a keepFor, the slots of recurring schedules
            // (one a slot; only a schedule's latest matters), and answers kept for conditional requests.
            var expired = await store.DeleteExpiredEffectsAsync(now, CleanBatch, cancellationToken);
            var slots = await store.TrimRecurringSlotsAsync(now - options.FinalizedRetention, CleanBatch, cancellationToken);
            var cached = await store.DeleteHttpCacheAsync(now - options.HttpCacheRetention, CleanBatch, cancellationToken);
            if (expired > 0 || slots > 0 || cached > 0)
                LogTrimmed(logger, expired, slots, cached);
            // While there is something to delete it comes back at the next tick, not in a minute: it keeps up with any
            // drain rate (one batch per tick bounds how long it holds the loop) and spreads the deletes, and the dead rows
            // autovacuum must reclaim, evenly over time instead of in one burst a minute. Idle, it looks once a minute.
            _nextClean = deleted > 0 || expired > 0 || slots > 0 || cached > 0 ? now : now + CleanerInterval;
            await ReleaseOrphanedReservationsAsync(cancellationToken);
            await EvictIdlePartitionsAsync(now, cancellationToken);
        }
    }

    /// <summary>
    /// Partitions are made on demand (one row per account, chat, ...); a partition that is idle and remembers nothing time
    /// has not already undone (no quota spent in this window, no pause, breaker closed) is deleted, guarded by its
    /// last write so one that came back to life meanwhile stays.
    /// </summary>
    private async Task EvictIdlePartitionsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var catalog = resources.Catalog;
        if (catalog.IsEmpty)
            return;
        var idle = new List<ResourceRow>();
        foreach (var row in await store.ListResourcesAsync(cancellationToken))
        {
            if (row.UpdatedAt > now - PartitionIdleTimeout)
                continue;
            var definition = catalog.Find(row.Name);
            if (definition is { IsTemplate: false })
                continue; // a configured resource is listed whatever its state; only partitions come and go
            var state = Resources.ResourceState.Parse(row.State);
            (definition ?? Resources.ResourceDefinition.Unlimited(row.Name)).Normalize(state, now);
            if (Resources.ResourceDefinition.IsAtRest(state, now.UtcTicks))
                idle.Add(row);
        }
        if (idle.Count == 0)
            return;
        var evicted = await store.DeleteResourcesAsync(idle, cancellationToken);
        if (evicted > 0)
            LogEvicted(logger, evicted);
    }

    private async Task<int> EnqueueRecurringAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var enqueued = 0;
        foreach (var schedule in recurring.All.Concat(await StoredSchedulesAsync(cancellationToken)))
        {
            var last = await store.GetLastRecurringSlotAsync(schedule.Name, cancellationToken);
            if (schedule.LatestDueSlot(last, now) is not { } slot)
                continue;
            JobInsert job;
            try
            {
                job = client.BuildInsert(new EnqueueRequest(schedule.Kind, schedule.ArgsJson, schedule.Options), now);
            }
            catch (Exception ex) when (ex is JobArgsException or ArgumentException)
            {
                // A stored schedule of a kind this worker does not know (or whose arguments no longer fit): another
                // worker may know it; this one says so and goes on with the others.
                LogScheduleSkipped(logger, ex, schedule.Name);
                continue;
            }
            // The slot is part of the job's identity in the store, so it is enqueued once however many leaders try.
            if (await store.InsertRecurringAsync(new RecurringInsert(schedule.Name, slot, job, now), cancellationToken) is not null)
            {
                enqueued++;
                telemetry.Enqueued.Add(1, PacerTelemetry.KindTag(job.Kind), PacerTelemetry.QueueTag(job.Queue));
            }
        }
        return enqueued;
    }

    private readonly Dictionary<string, (DateTimeOffset UpdatedAt, RecurringSchedule? Schedule)> _stored = new(StringComparer.Ordinal);

    /// <summary>Stored schedules, parsed once per version; one that no longer parses is reported once and skipped.</summary>
    private async Task<IEnumerable<RecurringSchedule>> StoredSchedulesAsync(CancellationToken cancellationToken)
    {
        var rows = await store.ListSchedulesAsync(cancellationToken);
        var schedules = new List<RecurringSchedule>(rows.Count);
        foreach (var row in rows)
        {
            if (!_stored.TryGetValue(row.Name, out var cached) || cached.UpdatedAt != row.UpdatedAt)
            {
                RecurringSchedule? parsed = null;
                try
                {
                    parsed = recurring.Contains(row.Name) ? null : RecurringSchedule.Create(row.Name, row.Cron, row.Kind, row.Args,
                        RecurringRegistry.Zone(row.TimeZone), StoredScheduleOptions.FromJson(row.Options));
                    if (parsed is not null)
                    {
                        parsed.NotBefore = row.UpdatedAt;
                        client.BuildInsert(new EnqueueRequest(parsed.Kind, parsed.ArgsJson, parsed.Options), time.GetUtcNow());
                    }
                }
                catch (Exception ex) when (ex is ArgumentException or JobArgsException or System.Text.Json.JsonException)
                {
                    // Said once per version of the schedule, not every pass.
                    LogScheduleSkipped(logger, ex, row.Name);
                    parsed = null;
                }
                _stored[row.Name] = cached = (row.UpdatedAt, parsed);
            }
            if (cached.Schedule is { } schedule)
                schedules.Add(schedule);
        }
        foreach (var gone in _stored.Keys.Except(rows.Select(r => r.Name)).ToArray())
            _stored.Remove(gone);
        return schedules;
    }

    public async Task ResignAsync()
    {
        if (!_isLeader)
            return;
        // The resource gauges keep their last look: the process is stopping, and its exporter's last collection (a
        // short pacer sync has no other) should still carry them.
        try
        {
            await store.ReleaseLeaderAsync(LeaderName, workerId, CancellationToken.None);
            _isLeader = false;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The lease then simply expires; another process takes over a little later.
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota reserved by attempts that ended without giving it back was returned: {Units} units")]
    private static partial void LogOrphanedReservations(ILogger logger, int units);

    [LoggerMessage(Level = LogLevel.Error, Message = "Maintenance pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} maintenance leader: {IsLeader}")]
    private static partial void LogLeadership(ILogger logger, string workerId, bool isLeader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Jobs taken back from stopped workers of this machine ({Workers}) without waiting for their leases: {Count}")]
    private static partial void LogRescuedStopped(ILogger logger, int count, string workers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not look for jobs of stopped workers of this machine; they run again when their leases expire")]
    private static partial void LogRescueStoppedFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rescued {Count} jobs whose lease expired")]
    private static partial void LogRescued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recurring schedule {Name} skipped on this worker")]
    private static partial void LogScheduleSkipped(ILogger logger, Exception exception, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgot {Count} idle resource partitions")]
    private static partial void LogEvicted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} finished jobs past retention")]
    private static partial void LogCleaned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Effects} expired effect records, {Slots} past recurring slots and {Cached} old cached answers")]
    private static partial void LogTrimmed(ILogger logger, int effects, int slots, int cached);
}
