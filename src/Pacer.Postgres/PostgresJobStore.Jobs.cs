using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Pacer.Storage;
using static Pacer.Postgres.PostgresRows;

namespace Pacer.Postgres;

internal sealed partial class PostgresJobStore
{
    // Bases stay below 2^62 and ids below 2^62 too in any real database, so base + id neither overflows nor is zero.
    private const long MaxTokenBase = 1L << 62;

    // Inserts per round trip; a larger InsertManyAsync is several batches in the same transaction.
    private const int InsertBatchSize = 1000;

    private const string ClearLease = "lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, cancel_requested = false";

    private const string ClearWait = "waiting_on = NULL, wait_reason = NULL, wait_until = NULL";

    private const string DispatchOrder = "ORDER BY priority DESC, scheduled_at, id";

    // The WHERE implies the partial index pacer_jobs_fetch's predicate, so the planner walks it in dispatch order.
    private const string DueSelection = $"state IN {DueStates} AND queue = @queue AND scheduled_at <= @now";

    // A paused queue yields nothing to any fetch, in every process.
    /// <summary>
    /// Neither the queue nor the queue its name starts with (<c>default</c> for <c>default:web-1</c>; the queue itself when
    /// none, <see cref="QueueParent"/>) is paused: two keys of the primary key, looked up on every fetch.
    /// </summary>
    private const string QueueNotPaused = "NOT EXISTS (SELECT 1 FROM {s}.pacer_queues WHERE name IN (@queue, @queue_parent) AND paused)";

    private const string InsertSql =
        "INSERT INTO {s}.pacer_jobs (kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, timeout_ticks, tags, claims, unique_key, errors, trace_parent) " +
        "VALUES (@kind, @queue, @priority, @args, @state, 0, @max_attempts, @scheduled_at, @created_at, @timeout_ticks, @tags, @claims, @unique_key, '[]', @trace_parent) " +
        // The partial unique index on unique_key is the only constraint an insert can hit: a key held by an unfinished job.
        "ON CONFLICT DO NOTHING RETURNING id";

    private const string ExistingByKeySql =
        $"SELECT unique_key, id FROM {{s}}.pacer_jobs WHERE unique_key = ANY(@keys) AND state NOT IN {FinalStates}";

    // The statements that pick rows in a CTE and change them in the outer statement guard the change with the state the
    // CTE saw (state = picked_state), not by repeating the state list: a state list there implies a partial index's
    // predicate, and with statistics taken while the table was nearly empty (after the cleaner emptied it) the planner
    // drove the UPDATE from a full scan of that partial index, joining every due job to the picked ids: 23 ms a fetch at
    // 7,000 due jobs instead of 0.2 ms, found by auto_explain under churn (docs/benchmarks.md). Picked rows are locked
    // FOR UPDATE by the same statement, so the guard holds either way.
    /// <summary>
    /// One statement claims the jobs: the sub-select locks due rows in dispatch order and skips rows another fetcher
    /// holds, so concurrent fetchers never wait on each other and never claim the same job. Each fetch draws one random
    /// base from a CSPRNG and a job's token is base + id: distinct for every job of the fetch, and equal to a token of an
    /// earlier attempt of the same job only if two random bases are equal (one chance in 2^62).
    /// </summary>
    private const string FetchTemplate =
        $"WITH picked AS MATERIALIZED (SELECT id AS picked_id, state AS picked_state FROM {{s}}.pacer_jobs WHERE {DueSelection} /*only*/ AND {QueueNotPaused} " +
        $"{DispatchOrder} LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        "UPDATE {s}.pacer_jobs SET state = 'running', attempt = attempt + 1, attempted_at = @now, lease_owner = @owner, " +
        "lease_expires_at = @expires_at, lease_token = @token_base + id, cancel_requested = false " +
        "FROM picked WHERE id = picked_id AND state = picked_state " +
        $"RETURNING {Columns}, lease_token";

    internal static readonly string FetchSql = FetchTemplate.Replace("/*only*/", "", StringComparison.Ordinal);

    private static readonly string FetchOnlyIdsSql = FetchTemplate.Replace("/*only*/", "AND id = ANY(@only_ids)", StringComparison.Ordinal);

    private const string ListDueSql = $"SELECT {Columns} FROM {{s}}.pacer_jobs WHERE {DueSelection} {DispatchOrder} LIMIT @limit";

    private const string ExtendSql =
        "UPDATE {s}.pacer_jobs AS j SET lease_expires_at = @expires_at FROM unnest(@ids, @tokens) AS l(id, token) " +
        "WHERE j.id = l.id AND j.state = 'running' AND j.lease_token = l.token RETURNING j.id, j.cancel_requested";

    /// <summary>
    /// Every completion kind in one statement: the caller works out each row's new state, and the guard (running under
    /// this token) is re-checked by PostgreSQL on the newest row version, so a rescued or re-fetched job is left alone.
    /// </summary>
    private const string CompleteSql =
        "UPDATE {s}.pacer_jobs AS j SET state = c.state, " +
        $"finalized_at = CASE WHEN c.state IN {FinalStates} THEN c.at ELSE NULL END, " +
        "scheduled_at = CASE WHEN c.state IN ('retryable', 'scheduled') THEN c.run_at ELSE j.scheduled_at END, " +
        // A snooze, and a wait for a resource, give back the attempt the fetch took.
        "attempt = CASE WHEN c.state IN ('scheduled', 'waiting') THEN greatest(j.attempt - 1, 0) ELSE j.attempt END, " +
        "errors = CASE WHEN c.error IS NULL THEN j.errors ELSE j.errors || jsonb_build_array(c.error::jsonb) END, " +
        // A job held back by a resource keeps its scheduled_at (its place in line) and waits.
        "wait_until = CASE WHEN c.state = 'waiting' THEN c.run_at ELSE NULL END, waiting_on = c.waiting_on, wait_reason = c.wait_reason, " +
        $"{ClearLease} " +
        "FROM unnest(@ids, @tokens, @states, @ats, @run_ats, @errors, @waiting_on, @wait_reasons) " +
        "AS c(id, token, state, at, run_at, error, waiting_on, wait_reason) " +
        "WHERE j.id = c.id AND j.state = 'running' AND j.lease_token = c.token RETURNING j.id";

    private const string RescueSelectSql =
        "SELECT id, attempt, max_attempts, lease_owner, lease_expires_at FROM {s}.pacer_jobs " +
        "WHERE state = 'running' AND lease_expires_at < @now ORDER BY lease_expires_at LIMIT @limit FOR UPDATE SKIP LOCKED";

    private const string RescueStoppedSelectSql =
        "SELECT id, attempt, max_attempts, lease_owner, lease_expires_at FROM {s}.pacer_jobs " +
        "WHERE state = 'running' AND (lease_expires_at < @now OR lease_owner = ANY(@owners)) ORDER BY lease_expires_at LIMIT @limit FOR UPDATE SKIP LOCKED";

    private const string RescueSql =
        "UPDATE {s}.pacer_jobs AS j SET state = r.state, " +
        "scheduled_at = CASE WHEN r.state = 'retryable' THEN @now ELSE j.scheduled_at END, " +
        "finalized_at = CASE WHEN r.state = 'discarded' THEN @now ELSE NULL END, " +
        $"errors = j.errors || jsonb_build_array(r.error::jsonb), {ClearLease} " +
        "FROM unnest(@ids, @states, @errors) AS r(id, state, error) " +
        "WHERE j.id = r.id AND j.state = 'running' AND (j.lease_expires_at < @now OR j.lease_owner = ANY(@owners)) RETURNING j.id, j.state";

    private const string PromoteSql =
        "WITH picked AS MATERIALIZED (SELECT id AS picked_id, state AS picked_state FROM {s}.pacer_jobs " +
        "WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= @now ORDER BY scheduled_at LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        "UPDATE {s}.pacer_jobs SET state = 'available' FROM picked WHERE id = picked_id AND state = picked_state RETURNING queue";

    // A waiting job keeps its scheduled_at, so once available again it has its old place in dispatch order.
    private const string PromoteWaitingSql =
        "WITH picked AS MATERIALIZED (SELECT id AS picked_id, state AS picked_state FROM {s}.pacer_jobs " +
        "WHERE state = 'waiting' AND wait_until <= @now ORDER BY wait_until LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        $"UPDATE {{s}}.pacer_jobs SET state = 'available', {ClearWait} FROM picked WHERE id = picked_id AND state = picked_state RETURNING queue";

    private const string DeleteFinalizedSql =
        "WITH picked AS MATERIALIZED (SELECT id AS picked_id, state AS picked_state FROM {s}.pacer_jobs " +
        $"WHERE state IN {FinalStates} AND finalized_at < @before ORDER BY finalized_at LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        "DELETE FROM {s}.pacer_jobs USING picked WHERE id = picked_id AND state = picked_state";

    private const string StatsSql =
        "SELECT queue, state, count(*) FROM {s}.pacer_jobs GROUP BY queue, state " +
        $"UNION ALL SELECT NULL, NULL, count(*) FROM {{s}}.pacer_jobs WHERE state IN {FinalStates} AND finalized_at >= @since";

    private static readonly Comparison<FetchedJob> ByDispatchOrder = static (a, b) =>
    {
        var c = b.Job.Priority.CompareTo(a.Job.Priority);
        if (c == 0)
            c = a.Job.ScheduledAt.CompareTo(b.Job.ScheduledAt);
        return c != 0 ? c : a.Job.Id.CompareTo(b.Job.Id);
    };

    // ----- insert -----

    public Task<IReadOnlyList<InsertResult>> InsertManyAsync(InsertManyRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Insert(request);
        if (request.Jobs.Count == 0)
            return Task.FromResult<IReadOnlyList<InsertResult>>([]);
        return InTransactionAsync<IReadOnlyList<InsertResult>>(async (connection, transaction) => await InsertJobsAsync(connection, transaction, request, cancellationToken), cancellationToken);
    }

    public async Task<IReadOnlyList<InsertResult>> InsertManyAsync(InsertManyRequest request, DbTransaction transaction, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Insert(request);
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction is not NpgsqlTransaction npgsqlTransaction)
        {
            throw new ArgumentException(
                $"The PostgreSQL store can only join an Npgsql NpgsqlTransaction, not {transaction.GetType().FullName}. " +
                "Open an NpgsqlConnection to the store's database, begin a transaction on it and pass that.", nameof(transaction));
        }
        var connection = npgsqlTransaction.Connection
            ?? throw new ArgumentException("The transaction has already been committed or rolled back; pass an open one.", nameof(transaction));
        if (!string.Equals(connection.Database, _database, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The transaction is on database '{connection.Database}', but this store's database is '{_database}'. Open the connection to the store's database.",
                nameof(transaction));
        }
        if (request.Jobs.Count == 0)
            return [];
        ThrowIfDisposed();
        try
        {
            // The jobs, and the notice that they are there, commit with the caller's transaction or not at all.
            return await InsertJobsAsync(connection, npgsqlTransaction, request, cancellationToken);
        }
        catch (NpgsqlException ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    /// <summary>
    /// Inserts in batches of single-row statements, one round trip per batch, each answering with its id or with nothing
    /// when an unfinished job holds the unique key; those keys are then looked up. A holder that finished in between
    /// frees its key, so the insert is tried again.
    /// </summary>
    private async Task<InsertResult[]> InsertJobsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, InsertManyRequest request, CancellationToken cancellationToken)
    {
        var results = new InsertResult?[request.Jobs.Count];
        var pending = Enumerable.Range(0, request.Jobs.Count).ToList();
        var available = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; pending.Count > 0; round++)
        {
            if (round == 5)
                throw new InvalidOperationException($"Inserting {pending.Count} jobs kept racing other writers for their unique keys; try again.");
            var conflicted = new List<int>();
            foreach (var chunk in pending.Chunk(InsertBatchSize))
            {
                await using var batch = Batch(connection, transaction);
                foreach (var i in chunk)
                    batch.BatchCommands.Add(InsertCommand(request.Jobs[i], request.Now));
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                foreach (var i in chunk)
                {
                    if (await reader.ReadAsync(cancellationToken))
                    {
                        results[i] = new InsertResult(reader.GetInt64(0), Existing: false);
                        if (request.Jobs[i].ScheduledAt <= request.Now)
                            available.Add(request.Jobs[i].Queue);
                    }
                    else
                    {
                        conflicted.Add(i);
                    }
                    await reader.NextResultAsync(cancellationToken);
                }
            }
            pending.Clear();
            if (conflicted.Count == 0)
                break;
            var keys = conflicted.Select(i => request.Jobs[i].UniqueKey!).Distinct(StringComparer.Ordinal).ToArray();
            var holders = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var lookup = Command(connection, transaction, Sql(ExistingByKeySql)))
            {
                lookup.Parameters.Add(Texts("keys", keys));
                await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    holders[reader.GetString(0)] = reader.GetInt64(1);
            }
            foreach (var i in conflicted)
            {
                if (holders.TryGetValue(request.Jobs[i].UniqueKey!, out var id))
                    results[i] = new InsertResult(id, Existing: true);
                else
                    pending.Add(i);
            }
        }
        if (available.Count > 0 && _options.ListenNotify)
        {
            await using var batch = Batch(connection, transaction);
            AddNotify(batch, available);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        return [.. results.Select(r => r!)];
    }

    private NpgsqlBatchCommand InsertCommand(JobInsert job, DateTimeOffset now) => BatchCommand(InsertSql,
        Text("kind", job.Kind),
        Text("queue", job.Queue),
        Int("priority", job.Priority),
        Text("args", job.Args),
        Text("state", (job.ScheduledAt > now ? JobState.Scheduled : JobState.Available).ToWire()),
        Int("max_attempts", job.MaxAttempts),
        Time("scheduled_at", job.ScheduledAt),
        Time("created_at", now),
        job.Timeout is { } t ? Long("timeout_ticks", t.Ticks) : new NpgsqlParameter("timeout_ticks", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = DBNull.Value },
        Texts("tags", job.Tags is null ? [] : [.. job.Tags]),
        Jsonb("claims", WriteClaims(job.Claims)),
        Text("unique_key", job.UniqueKey),
        Text("trace_parent", job.TraceParent));

    // ----- fetch -----

    public Task<IReadOnlyList<JobRecord>> ListDueAsync(ListDueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Queue, nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        return WithConnectionAsync<IReadOnlyList<JobRecord>>(async connection =>
        {
            await using var command = Command(connection, null, Sql(ListDueSql));
            command.Parameters.Add(Text("queue", request.Queue));
            command.Parameters.Add(Time("now", request.Now));
            command.Parameters.Add(Int("limit", request.Limit));
            return await ReadJobsAsync(command, cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<FetchedJob>> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Fetch(request);
        var only = request.OnlyIds;
        var count = only is null ? request.Limit : Math.Min(request.Limit, only.Count);
        if (count == 0)
            return Task.FromResult<IReadOnlyList<FetchedJob>>([]);
        return WithConnectionAsync<IReadOnlyList<FetchedJob>>(async connection =>
        {
            // One statement, so no explicit transaction: it commits on its own.
            await using var command = Command(connection, null, Sql(only is null ? FetchSql : FetchOnlyIdsSql));
            AddFetchParameters(command.Parameters, request, count);
            if (only is not null)
                command.Parameters.Add(Longs("only_ids", [.. only]));
            return await ReadFetchedAsync(command, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>The <c>@queue_parent</c> of <see cref="QueueNotPaused"/>.</summary>
    internal static NpgsqlParameter QueueParent(string queue) => Text("queue_parent", QueueState.PausedWith(queue) ?? queue);

    internal static void AddFetchParameters(NpgsqlParameterCollection parameters, FetchRequest request, int limit)
    {
        parameters.Add(Text("queue", request.Queue));
        parameters.Add(QueueParent(request.Queue));
        parameters.Add(Time("now", request.Now));
        parameters.Add(Int("limit", limit));
        parameters.Add(Text("owner", request.Owner));
        parameters.Add(Time("expires_at", request.Now + request.LeaseDuration));
        parameters.Add(Long("token_base", NewTokenBase()));
    }

    private static async Task<List<FetchedJob>> ReadFetchedAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var fetched = new List<FetchedJob>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                fetched.Add(new FetchedJob(ReadJob(reader), reader.GetInt64(ColumnCount)));
        }
        // RETURNING gives rows in the order they were updated, not the order they were picked.
        fetched.Sort(ByDispatchOrder);
        return fetched;
    }

    private static long NewTokenBase()
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        long value;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            value = BitConverter.ToInt64(bytes) & (MaxTokenBase - 1);
        }
        while (value == 0);
        return value;
    }

    public Task<ExtendLeasesResult> ExtendLeasesAsync(ExtendLeasesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Leases);
        if (request.Leases.Count == 0)
            return Task.FromResult(new ExtendLeasesResult([], []));
        return WithConnectionAsync(async connection =>
        {
            // One statement for every lease of the process. lease_expires_at is in no index, so each row's new version
            // is a HOT update on its own page: heartbeats leave no index entries behind and little for vacuum.
            await using var command = Command(connection, null, Sql(ExtendSql));
            command.Parameters.Add(Time("expires_at", request.ExpiresAt));
            command.Parameters.Add(Longs("ids", [.. request.Leases.Select(l => l.JobId)]));
            command.Parameters.Add(Longs("tokens", [.. request.Leases.Select(l => l.LeaseToken)]));
            var held = new Dictionary<long, bool>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    held[reader.GetInt64(0)] = reader.GetBoolean(1);
            }
            var lost = new List<long>();
            var cancelRequested = new List<long>();
            foreach (var lease in request.Leases)
            {
                if (!held.TryGetValue(lease.JobId, out var cancel))
                    lost.Add(lease.JobId);
                else if (cancel)
                    cancelRequested.Add(lease.JobId);
            }
            return new ExtendLeasesResult(lost, cancelRequested);
        }, cancellationToken);
    }

    // ----- completion -----

    public Task<IReadOnlyList<bool>> CompleteManyAsync(IReadOnlyList<JobCompletion> completions, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Completions(completions);
        if (completions.Count == 0)
            return Task.FromResult<IReadOnlyList<bool>>([]);
        return InTransactionAsync<IReadOnlyList<bool>>(async (connection, transaction) =>
        {
            var accepted = new bool[completions.Count];
            // Usually one round: a round holds each job once, so one UPDATE ... FROM unnest(...) can answer for each row.
            // The same job twice in a batch goes to a later round, where its guard sees what the first one wrote.
            foreach (var round in Rounds(completions))
            {
                await using var command = Command(connection, transaction, Sql(CompleteSql));
                AddCompletionParameters(command.Parameters, completions, round);
                var written = new HashSet<long>();
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                        written.Add(reader.GetInt64(0));
                }
                foreach (var i in round)
                    accepted[i] = written.Contains(completions[i].JobId);
            }
            // The jobs gave back what they held: the longest-waiting jobs on those resources may now go.
            var releases = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < completions.Count; i++)
            {
                if (!accepted[i])
                    continue;
                foreach (var claim in completions[i].Release)
                    releases[claim.Resource] = releases.GetValueOrDefault(claim.Resource) + claim.Cost;
            }
            if (releases.Count > 0)
                await WakeManyAsync(connection, transaction, releases, cancellationToken);
            return accepted;
        }, cancellationToken);
    }

    private static List<List<int>> Rounds(IReadOnlyList<JobCompletion> completions)
    {
        var rounds = new List<List<int>>();
        var seen = new List<HashSet<long>>();
        for (var i = 0; i < completions.Count; i++)
        {
            var r = 0;
            while (r < rounds.Count && seen[r].Contains(completions[i].JobId))
                r++;
            if (r == rounds.Count)
            {
                rounds.Add([]);
                seen.Add([]);
            }
            rounds[r].Add(i);
            seen[r].Add(completions[i].JobId);
        }
        return rounds;
    }

    private static void AddCompletionParameters(NpgsqlParameterCollection parameters, IReadOnlyList<JobCompletion> completions, List<int> round)
    {
        var n = round.Count;
        var ids = new long[n];
        var tokens = new long[n];
        var states = new string?[n];
        var ats = new DateTime[n];
        var runAts = new DateTime[n];
        var errors = new string?[n];
        var waitingOn = new string?[n];
        var waitReasons = new string?[n];
        for (var k = 0; k < n; k++)
        {
            var c = completions[round[k]];
            ids[k] = c.JobId;
            tokens[k] = c.LeaseToken;
            ats[k] = c.At.UtcDateTime;
            // Kinds without a run time never read it; the column just needs a value.
            runAts[k] = (c.RunAt ?? c.At).UtcDateTime;
            var wait = c.Kind == CompletionKind.Snooze ? c.Wait : null;
            states[k] = c.Kind switch
            {
                CompletionKind.Completed => "completed",
                CompletionKind.Retry => "retryable",
                CompletionKind.Discard => "discarded",
                CompletionKind.Snooze => wait is null ? "scheduled" : "waiting",
                CompletionKind.Cancel => "cancelled",
                _ => throw new ArgumentOutOfRangeException(nameof(completions), c.Kind, "Unknown completion kind."),
            };
            errors[k] = c.Kind is CompletionKind.Retry or CompletionKind.Discard or CompletionKind.Cancel && c.Error is { } error ? WriteError(error) : null;
            waitingOn[k] = wait?.WaitingOn;
            waitReasons[k] = wait?.Reason;
        }
        parameters.Add(Longs("ids", ids));
        parameters.Add(Longs("tokens", tokens));
        parameters.Add(Texts("states", states));
        parameters.Add(Times("ats", ats));
        parameters.Add(Times("run_ats", runAts));
        parameters.Add(Texts("errors", errors));
        parameters.Add(Texts("waiting_on", waitingOn));
        parameters.Add(Texts("wait_reasons", waitReasons));
    }

    // ----- maintenance -----

    public Task<IReadOnlyList<string>> ListLeaseOwnersAsync(CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyList<string>>(async connection =>
    {
        await using var command = Command(connection, null, Sql("SELECT DISTINCT lease_owner FROM {s}.pacer_jobs WHERE state = 'running' AND lease_owner IS NOT NULL"));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var owners = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
            owners.Add(reader.GetString(0));
        return owners;
    }, cancellationToken);

    public Task<IReadOnlyList<RescuedJob>> RescueExpiredAsync(RescueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        if (request.Limit == 0)
            return Task.FromResult<IReadOnlyList<RescuedJob>>([]);
        return InTransactionAsync<IReadOnlyList<RescuedJob>>(async (connection, transaction) =>
        {
            // Locks the expired rows, skipping any a worker is completing right now (its completion decides).
            var expired = new List<(long Id, int Attempt, int MaxAttempts, string? Owner, DateTimeOffset ExpiresAt)>();
            var stopped = request.StoppedOwners ?? [];
            await using (var select = Command(connection, transaction, Sql(stopped.Count == 0 ? RescueSelectSql : RescueStoppedSelectSql)))
            {
                select.Parameters.Add(Time("now", request.Now));
                if (stopped.Count > 0)
                    select.Parameters.Add(Texts("owners", [.. stopped]));
                select.Parameters.Add(Int("limit", request.Limit));
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    expired.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), Time(reader, 4)));
            }
            if (expired.Count == 0)
                return [];
            var states = new string?[expired.Count];
            var errors = new string?[expired.Count];
            for (var i = 0; i < expired.Count; i++)
            {
                var job = expired[i];
                var newState = job.Attempt >= job.MaxAttempts ? JobState.Discarded : JobState.Retryable;
                var message = JobRescue.Message(job.Owner, job.ExpiresAt, request, newState, job.Attempt, job.MaxAttempts);
                states[i] = newState.ToWire();
                errors[i] = WriteError(new JobError(job.Attempt, request.Now, "Pacer.LeaseExpired", message, null));
            }
            await using var update = Command(connection, transaction, Sql(RescueSql));
            update.Parameters.Add(Time("now", request.Now));
            update.Parameters.Add(Texts("owners", [.. stopped]));
            update.Parameters.Add(Longs("ids", [.. expired.Select(e => e.Id)]));
            update.Parameters.Add(Texts("states", states));
            update.Parameters.Add(Texts("errors", errors));
            var rescued = new Dictionary<long, JobState>();
            await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    rescued[reader.GetInt64(0)] = JobStates.ParseWire(reader.GetString(1));
            }
            // In the order the jobs expired, as they were picked.
            return [.. expired.Where(e => rescued.ContainsKey(e.Id)).Select(e => new RescuedJob(e.Id, rescued[e.Id]))];
        }, cancellationToken);
    }

    public Task<int> PromoteDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult(0);
        return WithConnectionAsync(async connection =>
        {
            // Each statement stands alone (a row it skips is simply promoted next time), and tells the moved jobs' queues.
            var promoted = 0;
            foreach (var sql in new[] { PromoteSql, PromoteWaitingSql })
            {
                await using var command = Command(connection, null, CountAndNotify(Sql(sql)));
                command.Parameters.Add(Time("now", now));
                command.Parameters.Add(Int("limit", limit - promoted));
                AddChannel(command.Parameters);
                promoted += await ReadCountAsync(command, cancellationToken);
                if (promoted >= limit)
                    break;
            }
            return promoted;
        }, cancellationToken);
    }

    private static async Task<int> ReadCountAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetInt32(0) : 0;
    }

    public Task<int> DeleteFinalizedAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult(0);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql(DeleteFinalizedSql));
            command.Parameters.Add(Time("before", before));
            command.Parameters.Add(Int("limit", limit));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    // ----- operator actions -----

    // A single cancel or retry locks its one row and may wait for it (holding nothing else, it cannot deadlock); many at
    // once lock only the rows no other transaction holds (see LockJobsAsync) and leave the rest to the single one.

    public async Task<CancelResult> CancelAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await InTransactionAsync((connection, transaction) => CancelLockedAsync(connection, transaction, [jobId], now, wait: true, cancellationToken), cancellationToken))[0]
        ?? CancelResult.NotFound;

    public async Task<IReadOnlyList<CancelResult>> CancelManyAsync(IReadOnlyList<long> jobIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var results = await InTransactionAsync((connection, transaction) => CancelLockedAsync(connection, transaction, jobIds, now, wait: false, cancellationToken), cancellationToken);
        // Held by another transaction a moment ago, or not there at all (the single cancel says NotFound).
        for (var i = 0; i < jobIds.Count; i++)
            results[i] ??= await CancelAsync(jobIds[i], now, cancellationToken);
        return [.. results.Select(result => result!.Value)];
    }

    private async Task<CancelResult?[]> CancelLockedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<long> jobIds, DateTimeOffset now,
        bool wait, CancellationToken cancellationToken)
    {
        var (results, flag, cancel) = BulkChanges.Cancel(jobIds, await LockJobsAsync(connection, transaction, jobIds, wait, cancellationToken));
        await using var batch = Batch(connection, transaction);
        if (flag.Count > 0)
            batch.BatchCommands.Add(BatchCommand("UPDATE {s}.pacer_jobs SET cancel_requested = true WHERE id = ANY(@ids) AND state = 'running'", Longs("ids", [.. flag])));
        if (cancel.Count > 0)
            batch.BatchCommands.Add(BatchCommand($"UPDATE {{s}}.pacer_jobs SET state = 'cancelled', finalized_at = @now, {ClearLease}, {ClearWait} WHERE id = ANY(@ids)",
                Longs("ids", [.. cancel]), Time("now", now)));
        if (batch.BatchCommands.Count > 0)
            await batch.ExecuteNonQueryAsync(cancellationToken);
        return results;
    }

    public async Task<RetryResult> RetryAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (results, conflicted) = await InTransactionAsync((connection, transaction) => RetryLockedAsync(connection, transaction, [jobId], now, wait: true, cancellationToken), cancellationToken);
        // A job holding the key committed after the look at its holders: the work already waits under it.
        return results[0] ?? (conflicted ? RetryResult.AlreadyWaiting : RetryResult.NotFound);
    }

    public async Task<IReadOnlyList<RetryResult>> RetryManyAsync(IReadOnlyList<long> jobIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var (results, _) = await InTransactionAsync((connection, transaction) => RetryLockedAsync(connection, transaction, jobIds, now, wait: false, cancellationToken), cancellationToken);
        // Held by another transaction a moment ago, not there at all (the single retry says NotFound), or undecided.
        for (var i = 0; i < jobIds.Count; i++)
            results[i] ??= await RetryAsync(jobIds[i], now, cancellationToken);
        return [.. results.Select(result => result!.Value)];
    }

    /// <returns>The results (null for a job not locked, and for every revive when <c>Conflicted</c>).</returns>
    private async Task<(RetryResult?[] Results, bool Conflicted)> RetryLockedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<long> jobIds,
        DateTimeOffset now, bool wait, CancellationToken cancellationToken)
    {
        var held = await LockJobsAsync(connection, transaction, jobIds, wait, cancellationToken);
        var holders = await UnfinishedHoldersAsync(connection, transaction, BulkChanges.KeysToCheck(held), cancellationToken);
        var (results, revive, queues) = BulkChanges.Retry(jobIds, held, holders);
        if (revive.Count == 0)
            return (results, false);
        await using var batch = Batch(connection, transaction);
        batch.BatchCommands.Add(BatchCommand(
            "UPDATE {s}.pacer_jobs SET state = 'available', scheduled_at = @now, finalized_at = NULL, " +
            $"max_attempts = greatest(max_attempts, attempt + 1), {ClearLease} WHERE id = ANY(@ids)",
            Longs("ids", [.. revive]), Time("now", now)));
        AddNotify(batch, queues);
        await transaction.SaveAsync("revive", cancellationToken);
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return (results, false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // A job with one of the keys was enqueued and committed since the look above; the unique index caught it.
            await transaction.RollbackAsync("revive", cancellationToken);
            for (var i = 0; i < results.Length; i++)
            {
                if (results[i] == RetryResult.Retried)
                    results[i] = null;
            }
            return (results, true);
        }
    }

    /// <summary>
    /// Locks the listed jobs, waiting for them when <paramref name="wait"/>, else only those no other transaction holds
    /// at the moment (SKIP LOCKED): an operator's change to many jobs that held some of their locks while it waited for
    /// another's could deadlock with an engine transaction that locks several jobs in another order.
    /// </summary>
    private async Task<Dictionary<long, BulkChanges.Job>> LockJobsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<long> jobIds,
        bool wait, CancellationToken cancellationToken)
    {
        var held = new Dictionary<long, BulkChanges.Job>();
        if (jobIds.Count == 0)
            return held;
        await using var command = Command(connection, transaction,
            Sql("SELECT id, state, unique_key, queue FROM {s}.pacer_jobs WHERE id = ANY(@ids) ORDER BY id FOR UPDATE" + (wait ? "" : " SKIP LOCKED")));
        command.Parameters.Add(Longs("ids", [.. jobIds]));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            held[reader.GetInt64(0)] = new BulkChanges.Job(JobStates.ParseWire(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3));
        return held;
    }

    /// <summary>The unfinished jobs holding each of these unique keys.</summary>
    private async Task<Dictionary<string, HashSet<long>>> UnfinishedHoldersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string[] keys, CancellationToken cancellationToken)
    {
        var holders = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        if (keys.Length == 0)
            return holders;
        await using var command = Command(connection, transaction, Sql($"SELECT unique_key, id FROM {{s}}.pacer_jobs WHERE unique_key = ANY(@keys) AND state NOT IN {FinalStates}"));
        command.Parameters.Add(Texts("keys", keys));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            BulkChanges.AddHolder(holders, reader.GetString(0), reader.GetInt64(1));
        return holders;
    }

    // ----- queries -----

    public Task<JobRecord?> GetAsync(long jobId, CancellationToken cancellationToken) => WithConnectionAsync(async connection =>
    {
        await using var command = Command(connection, null, Sql($"SELECT {Columns} FROM {{s}}.pacer_jobs WHERE id = @id"));
        command.Parameters.Add(Long("id", jobId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJob(reader) : null;
    }, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit, nameof(query));
        return WithConnectionAsync<IReadOnlyList<JobRecord>>(async connection =>
        {
            await using var command = ListCommand(connection, query, Columns);
            return await ReadJobsAsync(command, cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<long>> ListIdsAsync(JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit, nameof(query));
        return WithConnectionAsync<IReadOnlyList<long>>(async connection =>
        {
            await using var command = ListCommand(connection, query, "id");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var ids = new List<long>();
            while (await reader.ReadAsync(cancellationToken))
                ids.Add(reader.GetInt64(0));
            return ids;
        }, cancellationToken);
    }

    private NpgsqlCommand ListCommand(NpgsqlConnection connection, JobQuery query, string columns)
    {
        var command = Command(connection, null, ListSql(query, columns));
        if (query.Queue is not null)
            command.Parameters.Add(Text("queue", query.Queue));
        if (query.Kind is not null)
            command.Parameters.Add(Text("kind", query.Kind));
        if (query.Tag is not null)
            command.Parameters.Add(Text("tag", query.Tag));
        if (query.BeforeId is { } before)
            command.Parameters.Add(Long("before", before));
        command.Parameters.Add(Int("limit", query.Limit));
        return command;
    }

    /// <summary>
    /// States are written as literals (they come from the enum, never from the caller's text) so that the planner can
    /// use the partial indexes, e.g. the running-jobs index for "is anything running?", which the engine asks while draining.
    /// </summary>
    private string ListSql(JobQuery query, string columns)
    {
        var sql = new StringBuilder($"SELECT {columns} FROM {_quotedSchema}.pacer_jobs WHERE true");
        if (query.States is { Count: > 0 } states)
        {
            sql.Append(states.Count == 1 ? " AND state = " : " AND state IN (");
            sql.AppendJoin(", ", states.Distinct().Select(state => $"'{state.ToWire()}'"));
            if (states.Count > 1)
                sql.Append(')');
        }
        if (query.Queue is not null)
            sql.Append(" AND queue = @queue");
        if (query.Kind is not null)
            sql.Append(" AND kind = @kind");
        if (query.Tag is not null)
            sql.Append(" AND @tag = ANY (tags)");
        if (query.BeforeId is not null)
            sql.Append(" AND id < @before");
        return sql.Append(" ORDER BY id DESC LIMIT @limit").ToString();
    }

    public Task<StoreStats> GetStatsAsync(DateTimeOffset finalizedSince, CancellationToken cancellationToken) => WithConnectionAsync(async connection =>
    {
        // One statement, so the counts and the throughput come from the same snapshot.
        await using var command = Command(connection, null, Sql(StatsSql));
        command.Parameters.Add(Time("since", finalizedSince));
        var queues = new SortedDictionary<string, Dictionary<JobState, long>>(StringComparer.Ordinal);
        long since = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsDBNull(0))
            {
                since = reader.GetInt64(2);
                continue;
            }
            var queue = reader.GetString(0);
            if (!queues.TryGetValue(queue, out var byState))
            {
                byState = Enum.GetValues<JobState>().ToDictionary(s => s, _ => 0L);
                queues.Add(queue, byState);
            }
            byState[JobStates.ParseWire(reader.GetString(1))] = reader.GetInt64(2);
        }
        return new StoreStats([.. queues.Select(q => new QueueStats(q.Key, q.Value))], since);
    }, cancellationToken);

    private static async Task<List<JobRecord>> ReadJobsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var jobs = new List<JobRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            jobs.Add(ReadJob(reader));
        return jobs;
    }
}
