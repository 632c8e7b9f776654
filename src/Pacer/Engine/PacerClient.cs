using System.Data.Common;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacer.Resources;
using Pacer.Storage;

namespace Pacer.Engine;

internal sealed partial class PacerClient(
    IJobStore store,
    JobKindRegistry registry,
    IOptions<PacerOptions> options,
    TimeProvider time,
    WorkSignal signal,
    RunningJobs running,
    PacerTelemetry telemetry,
    ResourceCatalogSource catalogs,
    RecurringRegistry recurring,
    ILogger<PacerClient> logger) : IPacerClient
{
    private const int MaxUniqueKeyLength = 512;

    public async Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var kind = registry.GetByArgs(typeof(TArgs));
        var json = kind.Serialize(args);
        var results = await EnqueueManyAsync([new EnqueueRequest(kind.Name, json, options)], cancellationToken);
        return results[0];
    }

    public async Task<EnqueueResult> EnqueueAsync(string kind, string argsJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var results = await EnqueueManyAsync([new EnqueueRequest(kind, argsJson, options)], cancellationToken);
        return results[0];
    }

    public Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<EnqueueRequest> jobs, CancellationToken cancellationToken = default) =>
        InsertAsync(jobs, transaction: null, cancellationToken);

    public Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<EnqueueRequest> jobs, DbTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return InsertAsync(jobs, transaction, cancellationToken);
    }

    public async Task<CancelResult> CancelAsync(long jobId, CancellationToken cancellationToken = default)
    {
        var result = await store.CancelAsync(jobId, time.GetUtcNow(), cancellationToken);
        if (result == CancelResult.CancelRequested)
            running.StopLocal(jobId, StopReason.Cancelled); // other processes notice at their next heartbeat
        if (result is CancelResult.Cancelled or CancelResult.CancelRequested)
            LogCancelled(logger, jobId, result == CancelResult.CancelRequested);
        return result;
    }

    public async Task<RetryResult> RetryAsync(long jobId, CancellationToken cancellationToken = default)
    {
        var result = await store.RetryAsync(jobId, time.GetUtcNow(), cancellationToken);
        if (result == RetryResult.Retried)
        {
            signal.NotifyAll();
            LogRetried(logger, jobId);
        }
        return result;
    }

    public Task<CancelManyResult> CancelManyAsync(JobFilter filter, CancellationToken cancellationToken = default) =>
        CancelManyAsync(filter, progress: null, cancellationToken);

    public async Task<CancelManyResult> CancelManyAsync(JobFilter filter, IProgress<CancelManyResult>? progress, CancellationToken cancellationToken = default)
    {
        var query = BulkQuery(filter, JobStates.Unfinished, JobStates.Unfinished, "cancelled",
            "only unfinished jobs can be cancelled");
        int cancelled = 0, requested = 0;
        // Logged however it ends: one stopped part way has changed the pages done.
        try
        {
            await ForEachPageAsync(query, async ids =>
            {
                var results = await store.CancelManyAsync(ids, time.GetUtcNow(), CancellationToken.None);
                for (var i = 0; i < ids.Count; i++)
                {
                    switch (results[i])
                    {
                        case CancelResult.Cancelled:
                            cancelled++;
                            break;
                        case CancelResult.CancelRequested:
                            requested++;
                            running.StopLocal(ids[i], StopReason.Cancelled);
                            break;
                        default: // finished (or deleted by the cleaner) since it was listed: nothing to cancel
                            break;
                    }
                }
                progress?.Report(new CancelManyResult(cancelled, requested));
            }, cancellationToken);
        }
        finally
        {
            LogCancelledMany(logger, cancelled, requested, Describe(query));
        }
        return new CancelManyResult(cancelled, requested);
    }

    public Task<RetryManyResult> RetryManyAsync(JobFilter filter, CancellationToken cancellationToken = default) =>
        RetryManyAsync(filter, progress: null, cancellationToken);

    public async Task<RetryManyResult> RetryManyAsync(JobFilter filter, IProgress<RetryManyResult>? progress, CancellationToken cancellationToken = default)
    {
        var query = BulkQuery(filter, JobStates.Retriable, JobStates.RetriedByDefault, "retried",
            "a job waiting to run or running cannot be retried");
        int retried = 0, waiting = 0;
        try
        {
            await ForEachPageAsync(query, async ids =>
            {
                var results = await store.RetryManyAsync(ids, time.GetUtcNow(), CancellationToken.None);
                var page = results.Count(result => result == RetryResult.Retried);
                retried += page;
                waiting += results.Count(result => result == RetryResult.AlreadyWaiting); // the rest started or went since listed
                // Wake this process's workers page by page, not after the last.
                if (page > 0)
                    signal.NotifyAll();
                progress?.Report(new RetryManyResult(retried, waiting));
            }, cancellationToken);
        }
        finally
        {
            LogRetriedMany(logger, retried, waiting, Describe(query));
        }
        return new RetryManyResult(retried, waiting);
    }

    private static string Describe(JobQuery query) =>
        $"states {string.Join(", ", query.States!.Select(state => state.ToWire()))}" +
        (query.Queue is null ? "" : $", queue '{query.Queue}'") +
        (query.Kind is null ? "" : $", kind '{query.Kind}'") +
        (query.Tag is null ? "" : $", tag '{query.Tag}'");

    // An operator's changes, at Information: the log is where they are kept, beside the job rows they changed.
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} cancelled from outside (running: {WasRunning})")]
    private static partial void LogCancelled(ILogger logger, long jobId, bool wasRunning);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} retried from outside")]
    private static partial void LogRetried(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelled {Cancelled} jobs and asked {Running} running ones to stop, of those matching {Filter}")]
    private static partial void LogCancelledMany(ILogger logger, int cancelled, int running, string filter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retried {Retried} jobs, and left {AlreadyWaiting} whose unique key another job holds, of those matching {Filter}")]
    private static partial void LogRetriedMany(ILogger logger, int retried, int alreadyWaiting, string filter);

    /// <summary>Jobs a bulk operation changes in one store transaction.</summary>
    private const int BulkPage = 500;

    private static JobQuery BulkQuery(JobFilter filter, IReadOnlyList<JobState> allowed, IReadOnlyList<JobState> byDefault, string verb, string why)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var states = filter.States is { Count: > 0 } given ? given : byDefault;
        foreach (var state in states)
        {
            if (!allowed.Contains(state))
                throw new ArgumentException(
                    $"JobFilter.States: {why}, so '{state.ToWire()}' jobs cannot be {verb}; use {string.Join(", ", allowed.Select(s => s.ToWire()))}.",
                    nameof(filter));
        }
        return new JobQuery { States = [.. states.Distinct()], Queue = filter.Queue, Kind = filter.Kind, Tag = filter.Tag, Limit = BulkPage };
    }

    /// <summary>
    /// Runs the operation on every page of matching jobs' ids, newest first: a job the operation leaves among the
    /// matches (a running job whose cancel was requested) or brings back into them (a retried job that fails for good
    /// again at once) is behind the next page's start, so none is taken twice. The token stops it between pages only
    /// (the operation's write is not given it): a write cancelled while it commits could be done or not, and the
    /// caller would no longer know which jobs changed.
    /// </summary>
    private async Task ForEachPageAsync(JobQuery query, Func<IReadOnlyList<long>, Task> operation, CancellationToken cancellationToken)
    {
        for (var page = query; ;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ids = await store.ListIdsAsync(page, cancellationToken);
            if (ids.Count > 0)
                await operation(ids);
            if (ids.Count < page.Limit)
                return;
            page = page with { BeforeId = ids[^1] };
        }
    }

    public Task<JobRecord?> GetAsync(long jobId, CancellationToken cancellationToken = default) =>
        store.GetAsync(jobId, cancellationToken);

    public async Task ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var schedule = RecurringSchedule.Create(request.Name, request.Cron, request.Kind, request.ArgsJson, RecurringRegistry.Zone(request.TimeZone), request.Options);
        if (recurring.Contains(schedule.Name))
            throw new ArgumentException($"Recurring schedule '{schedule.Name}' is registered in code (AddRecurring); choose another name.", nameof(request));
        var options = StoredScheduleOptions.ToJson(request.Options);
        // The job each slot will enqueue must be valid now, not at 3 am.
        BuildInsert(new EnqueueRequest(schedule.Kind, schedule.ArgsJson, request.Options), time.GetUtcNow());
        await store.UpsertScheduleAsync(new StoredSchedule(schedule.Name, request.Cron.Trim(), schedule.TimeZone.Id, schedule.Kind, schedule.ArgsJson, options, time.GetUtcNow()), cancellationToken);
    }

    public Task<bool> UnscheduleAsync(string name, CancellationToken cancellationToken = default)
    {
        JobKind.ValidateName(name, "recurring schedule");
        return store.DeleteScheduleAsync(name, cancellationToken);
    }

    public async Task<IReadOnlyList<ScheduleInfo>> ListSchedulesAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        string QueueOf(string kind, EnqueueOptions? options) =>
            options?.Queue ?? (registry.TryGet(kind, out var registered) ? registered.Options.Queue : null) ?? "default";
        var list = recurring.All
            .Select(s => new ScheduleInfo(s.Name, s.CronText, s.TimeZone.Id, s.Kind, s.ArgsJson, Stored: false, s.NextSlot(now)) { Queue = QueueOf(s.Kind, s.Options) })
            .ToList();
        foreach (var stored in await store.ListSchedulesAsync(cancellationToken))
        {
            DateTimeOffset? next = null;
            try
            {
                next = RecurringSchedule.Create(stored.Name, stored.Cron, stored.Kind, stored.Args, RecurringRegistry.Zone(stored.TimeZone), null).NextSlot(now);
            }
            catch (ArgumentException)
            {
                // Listed anyway, with no next slot: the operator needs to see it to remove it.
            }
            EnqueueOptions? options = null;
            try
            {
                options = StoredScheduleOptions.FromJson(stored.Options);
            }
            catch (System.Text.Json.JsonException)
            {
                // Listed anyway, with its kind's queue: the operator needs to see it to remove it.
            }
            list.Add(new ScheduleInfo(stored.Name, stored.Cron, stored.TimeZone, stored.Kind, stored.Args, Stored: true, next) { Queue = QueueOf(stored.Kind, options) });
        }
        return [.. list.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>Turns a request into a row to insert, validating everything first so a bad request stores nothing.</summary>
    internal JobInsert BuildInsert(EnqueueRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var kind = registry.Get(request.Kind);
        var args = kind.ParseForEnqueue(request.ArgsJson);
        var o = request.Options ?? new EnqueueOptions();
        if (o.RunAt is not null && o.RunIn is not null)
            throw new ArgumentException("Set either RunAt or RunIn, not both.", nameof(request));
        if (o.RunIn is { } delay && delay < TimeSpan.Zero)
            throw new ArgumentException($"RunIn is negative ({delay}); give a delay of zero or more.", nameof(request));
        var queue = o.Queue ?? kind.Options.Queue;
        JobKind.ValidateName(queue, "queue");
        var maxAttempts = o.MaxAttempts ?? kind.Options.MaxAttempts ?? options.Value.MaxAttempts;
        if (maxAttempts < 1)
            throw new ArgumentException($"MaxAttempts is {maxAttempts}; it must be at least 1.", nameof(request));
        if (o.Timeout is { } timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentException($"Timeout is {timeout}; it must be positive.", nameof(request));
        if (o.UniqueKey is { } key && (key.Length == 0 || key.Length > MaxUniqueKeyLength))
            throw new ArgumentException($"UniqueKey must be 1-{MaxUniqueKeyLength} characters.", nameof(request));
        var claims = ResolveClaims(kind, args, request.ArgsJson, o.Claims);
        return new JobInsert
        {
            Kind = kind.Name,
            Args = request.ArgsJson,
            Queue = queue,
            Priority = o.Priority ?? kind.Options.Priority,
            MaxAttempts = maxAttempts,
            ScheduledAt = o.RunAt ?? (o.RunIn is { } d ? now + d : now),
            Timeout = o.Timeout ?? kind.Options.Timeout,
            Tags = o.Tags ?? [],
            Claims = claims,
            UniqueKey = o.UniqueKey,
            TraceParent = PacerTelemetry.CurrentTraceParent(),
        };
    }

    /// <summary>
    /// The kind's claims, those its arguments imply (the http kind's URL), and the caller's, with <c>{Field}</c> templates
    /// filled from the arguments. Checked against the resources, so a claim that could never be granted is refused now.
    /// </summary>
    private ResourceClaim[] ResolveClaims(JobKind kind, object args, string argsJson, IReadOnlyList<ResourceClaim>? extra)
    {
        var catalog = catalogs.Current;
        var claims = kind.Options.Claims
            .Concat(kind.ClaimsFromArgs?.Invoke(args, catalog) ?? [])
            .Concat(extra ?? [])
            .ToArray();
        if (claims.Length == 0)
            return claims;
        JsonDocument? document = null;
        try
        {
            for (var i = 0; i < claims.Length; i++)
            {
                var claim = claims[i] ?? throw new ArgumentException("A resource claim is null.", nameof(extra));
                if (string.IsNullOrWhiteSpace(claim.Resource))
                    throw new ArgumentException("A resource claim has an empty resource name.", nameof(extra));
                if (claim.Cost < 1)
                    throw new ArgumentException($"Claim on '{claim.Resource}' costs {claim.Cost}; a cost must be at least 1.", nameof(extra));
                if (ResourceCatalog.IsTemplateName(claim.Resource))
                {
                    document ??= JsonDocument.Parse(argsJson);
                    claims[i] = claim = claim with { Resource = ResourceCatalog.FillTemplate(claim.Resource, kind.Name, document.RootElement) };
                }
                if (claim.Resource.Length > 200 || claim.Resource.Any(char.IsControl))
                    throw new ArgumentException($"Resource name '{claim.Resource}' is too long or holds control characters; keep it under 200 printable characters.", nameof(extra));
                if (catalog.Find(claim.Resource)?.Quota is { } quota && claim.Cost > quota.Units)
                {
                    throw new ArgumentException(
                        $"Claim on '{claim.Resource}' costs {claim.Cost} units, more than its whole quota ({quota}); it could never run. Lower the cost or raise the quota.",
                        nameof(extra));
                }
            }
        }
        finally
        {
            document?.Dispose();
        }
        return claims;
    }

    private async Task<IReadOnlyList<EnqueueResult>> InsertAsync(IReadOnlyList<EnqueueRequest> jobs, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0)
            return [];
        var now = time.GetUtcNow();
        var inserts = new JobInsert[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
            inserts[i] = BuildInsert(jobs[i], now);
        var request = new InsertManyRequest(inserts, now);
        var results = transaction is null
            ? await store.InsertManyAsync(request, cancellationToken)
            : await store.InsertManyAsync(request, transaction, cancellationToken);

        var output = new EnqueueResult[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            output[i] = new EnqueueResult(results[i].Id, results[i].Existing);
            if (results[i].Existing)
                continue;
            telemetry.Enqueued.Add(1, PacerTelemetry.KindTag(inserts[i].Kind), PacerTelemetry.QueueTag(inserts[i].Queue));
        }
        // Wake local producers for work that is due now. With a caller's transaction the rows are not visible
        // until it commits; the producer then finds them on its next poll.
        foreach (var queue in inserts.Where(j => j.ScheduledAt <= now).Select(j => j.Queue).Distinct(StringComparer.Ordinal))
            signal.Notify(queue);
        return output;
    }
}
