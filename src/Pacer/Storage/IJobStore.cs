using System.Data.Common;

namespace Pacer.Storage;

/// <summary>
/// The store contract: everything the engine needs from a database. Each store (SQLite, PostgreSQL)
/// implements it and passes the same conformance suite, so the engine never asks which store it has.
/// </summary>
/// <remarks>
/// Rules every implementation keeps:
/// <list type="bullet">
/// <item>Every state change is guarded: by the expected state and, for a running job, by its lease token.
/// A write whose guard fails changes nothing and reports it (it does not throw).</item>
/// <item>Unique keys are enforced by a constraint, never by check-then-insert.</item>
/// <item>Batch operations are named <c>...Many</c> and run as one transaction.</item>
/// <item>Times are passed in by the caller (the engine's <see cref="TimeProvider"/>), never read from the database clock.</item>
/// </list>
/// </remarks>
public interface IJobStore : IAsyncDisposable
{
    /// <summary>What this store can do beyond the contract's minimum.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>Applies pending numbered migrations under a lock; safe to call from several processes at once.</summary>
    Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Inserts jobs in one transaction. A job whose unique key matches an unfinished job returns that job's id with <see cref="InsertResult.Existing"/> set.</summary>
    Task<IReadOnlyList<InsertResult>> InsertManyAsync(InsertManyRequest request, CancellationToken cancellationToken);

    /// <summary>Like <see cref="InsertManyAsync(InsertManyRequest, CancellationToken)"/>, inside the caller's open transaction: the jobs exist if and only if the caller commits.</summary>
    Task<IReadOnlyList<InsertResult>> InsertManyAsync(InsertManyRequest request, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Lists due jobs of a queue in dispatch order without claiming them (for admission to choose from).</summary>
    Task<IReadOnlyList<JobRecord>> ListDueAsync(ListDueRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="FetchRequest.Limit"/> due jobs of a queue in one statement: state becomes running,
    /// the attempt is incremented, and each job gets a fresh lease token and expiry.
    /// </summary>
    Task<IReadOnlyList<FetchedJob>> FetchAsync(FetchRequest request, CancellationToken cancellationToken);

    /// <summary>Extends the leases still held (matching token, still running); reports the ones lost and the ones whose cancel was requested.</summary>
    Task<ExtendLeasesResult> ExtendLeasesAsync(ExtendLeasesRequest request, CancellationToken cancellationToken);

    /// <summary>Writes outcomes of running jobs in one transaction. Each is accepted only if the job is running under the given lease token.</summary>
    /// <returns>One flag per completion, in order: true if it was written.</returns>
    Task<IReadOnlyList<bool>> CompleteManyAsync(IReadOnlyList<JobCompletion> completions, CancellationToken cancellationToken);

    /// <summary>Returns running jobs whose lease expired to retryable (or discarded at max attempts), recording the lost lease as an error.</summary>
    Task<IReadOnlyList<RescuedJob>> RescueExpiredAsync(RescueRequest request, CancellationToken cancellationToken);

    /// <summary>The workers holding the leases of running jobs, each once (to find those whose process has stopped).</summary>
    Task<IReadOnlyList<string>> ListLeaseOwnersAsync(CancellationToken cancellationToken);

    /// <summary>Moves scheduled, retryable and waiting jobs whose time has come to available.</summary>
    Task<int> PromoteDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Cancels a job: a job not yet running becomes cancelled at once; a running job is flagged so its worker's token fires.</summary>
    Task<CancelResult> CancelAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels jobs as <see cref="CancelAsync"/> does, one result per id in order, in one transaction for the jobs no
    /// other transaction holds at that moment (an implementation may change those it would have to wait for in
    /// transactions of their own, rather than wait while holding the others).
    /// </summary>
    Task<IReadOnlyList<CancelResult>> CancelManyAsync(IReadOnlyList<long> jobIds, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Makes a finished or retryable job available again now (an operator's retry). Running jobs are refused.</summary>
    /// <remarks>
    /// A job out of attempts gets one more. If another unfinished job now holds the job's unique key, reviving it would
    /// break the key's promise: nothing changes and <see cref="RetryResult.AlreadyWaiting"/> is returned.
    /// </remarks>
    Task<RetryResult> RetryAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Retries jobs as <see cref="RetryAsync"/> does, one result per id in order, transactions as in
    /// <see cref="CancelManyAsync"/>. Of two jobs in the list with the same unique key, the first revived holds it.
    /// </summary>
    Task<IReadOnlyList<RetryResult>> RetryManyAsync(IReadOnlyList<long> jobIds, DateTimeOffset now, CancellationToken cancellationToken);

    Task<JobRecord?> GetAsync(long jobId, CancellationToken cancellationToken);

    Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>The ids of the jobs <see cref="ListAsync"/> would return, in its order, without reading the jobs (for bulk operations).</summary>
    Task<IReadOnlyList<long>> ListIdsAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>Counts by queue and state, and finalized jobs since a point in time (for throughput).</summary>
    Task<StoreStats> GetStatsAsync(DateTimeOffset finalizedSince, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> final jobs finalized before <paramref name="before"/>.</summary>
    Task<int> DeleteFinalizedAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> done effect records whose <see cref="EffectRecord.ExpiresAt"/> is at or
    /// before <paramref name="now"/>. Records without an expiry, and records in doubt (started, never done), stay.
    /// </summary>
    Task<int> DeleteExpiredEffectsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> recurring slots older than <paramref name="before"/>, never the latest slot
    /// of a schedule (the next slot is reckoned from it, so no slot can be enqueued twice).
    /// </summary>
    Task<int> TrimRecurringSlotsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    // ----- effects ledger -----

    /// <summary>Records that an external effect is starting, fenced by the lease. Reports an earlier record instead if one exists.</summary>
    Task<EffectBeginResult> BeginEffectAsync(EffectRequest request, CancellationToken cancellationToken);

    /// <summary>Records an external effect as done with its result, fenced by the lease.</summary>
    Task<bool> CompleteEffectAsync(EffectRequest request, string? resultJson, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the "started" record this attempt wrote (same job and attempt, never a done one), fenced by the lease:
    /// the effect is known not to have happened, so a later attempt may run it. False when the lease is lost.
    /// </summary>
    Task<bool> ForgetEffectAsync(EffectRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="body"/> inside one write transaction of this store and records the effect in the same
    /// transaction, fenced by the lease: the write and its record commit together or not at all.
    /// If the effect was already done, <paramref name="body"/> is not called.
    /// </summary>
    Task<EffectTransactionResult> RunEffectInTransactionAsync(
        EffectRequest request,
        Func<DbTransaction, CancellationToken, Task<string?>> body,
        CancellationToken cancellationToken);

    Task<EffectRecord?> GetEffectAsync(string key, CancellationToken cancellationToken);

    // ----- recurring jobs -----

    /// <summary>Inserts the job for one recurring slot and records the slot in one transaction; returns null if the slot was already enqueued.</summary>
    Task<InsertResult?> InsertRecurringAsync(RecurringInsert request, CancellationToken cancellationToken);

    /// <summary>The latest slot enqueued for a recurring schedule, if any.</summary>
    Task<DateTimeOffset?> GetLastRecurringSlotAsync(string name, CancellationToken cancellationToken);

    // ----- resources and admission -----

    /// <summary>
    /// Claims jobs the way <see cref="FetchAsync"/> does, but lets <see cref="AdmissionFetchRequest.Decide"/> choose them: in one
    /// write transaction the store lists up to <see cref="AdmissionFetchRequest.CandidateLimit"/> due jobs, reads the state of the
    /// resources they claim and the costs running jobs hold on them, calls the decider, then claims the admitted jobs, parks
    /// the ones it says (state waiting) and writes the resource states. A paused queue yields nothing.
    /// </summary>
    Task<AdmissionFetchResult> FetchWithAdmissionAsync(AdmissionFetchRequest request, CancellationToken cancellationToken);

    /// <summary>Reads the named resource states, calls <see cref="ResourceUpdateRequest{T}.Update"/>, and writes its result, in one transaction.</summary>
    Task<T> UpdateResourcesAsync<T>(ResourceUpdateRequest<T> request, CancellationToken cancellationToken);

    /// <summary>Every stored resource state, by name.</summary>
    Task<IReadOnlyList<ResourceRow>> ListResourcesAsync(CancellationToken cancellationToken);

    /// <summary>Deletes resource rows that were not written since they were read (idle partitions); returns how many went.</summary>
    Task<int> DeleteResourcesAsync(IReadOnlyList<ResourceRow> rows, CancellationToken cancellationToken);

    /// <summary>Makes up to <see cref="WakeRequest.Limit"/> jobs waiting on a resource available, in dispatch order.</summary>
    Task<int> WakeWaitingAsync(WakeRequest request, CancellationToken cancellationToken);

    /// <summary>Waiting jobs per resource they wait on.</summary>
    Task<IReadOnlyDictionary<string, long>> CountWaitingAsync(CancellationToken cancellationToken);

    /// <summary>Pauses or resumes a queue for every process: a paused queue's jobs are not fetched (running ones finish).</summary>
    Task SetQueuePausedAsync(string queue, bool paused, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Queues that were ever paused or resumed, with their current flag.</summary>
    Task<IReadOnlyList<QueueState>> ListQueueStatesAsync(CancellationToken cancellationToken);

    // ----- HTTP conditional-request cache -----

    Task<HttpCacheEntry?> GetHttpCacheAsync(string key, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a cache entry.</summary>
    Task PutHttpCacheAsync(HttpCacheEntry entry, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> cache entries stored before <paramref name="before"/>.</summary>
    Task<int> DeleteHttpCacheAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a stored schedule by name.</summary>
    Task UpsertScheduleAsync(StoredSchedule schedule, CancellationToken cancellationToken);

    /// <summary>Deletes a stored schedule; false if there was none. Jobs it enqueued stay.</summary>
    Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredSchedule>> ListSchedulesAsync(CancellationToken cancellationToken);

    // ----- leader lease -----

    /// <summary>Acquires or renews a named leader lease for <see cref="LeaderRequest.Owner"/>; false if another owner holds an unexpired lease.</summary>
    Task<bool> TryAcquireLeaderAsync(LeaderRequest request, CancellationToken cancellationToken);

    /// <summary>Gives up a leader lease held by the owner (on shutdown), so another process takes over at once.</summary>
    Task ReleaseLeaderAsync(string name, string owner, CancellationToken cancellationToken);
}
