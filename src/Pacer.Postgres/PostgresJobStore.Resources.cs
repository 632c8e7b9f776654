using Npgsql;
using Pacer.Storage;
using static Pacer.Postgres.PostgresRows;

namespace Pacer.Postgres;

internal sealed partial class PostgresJobStore
{
    // The CTE is materialised, so its LIMIT is applied once: a sub-select in WHERE may be re-run per row, and with
    // SKIP LOCKED each re-run would pick further rows past the rows this statement already changed.
    private const string WakeSql =
        "WITH picked AS MATERIALIZED (SELECT id AS picked_id, state AS picked_state FROM {s}.pacer_jobs " +
        "WHERE state = 'waiting' AND waiting_on = @resource ORDER BY priority DESC, scheduled_at, id LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        $"UPDATE {{s}}.pacer_jobs SET state = 'available', {ClearWait} FROM picked WHERE id = picked_id AND state = picked_state RETURNING queue";

    // Only what admission decides on: the claim below returns the whole rows of the jobs it takes.
    private const string CandidatesSql =
        $"SELECT id, claims FROM {{s}}.pacer_jobs WHERE {DueSelection} AND {QueueNotPaused} {DispatchOrder} LIMIT @limit FOR UPDATE SKIP LOCKED";

    private const string ClaimSql =
        "UPDATE {s}.pacer_jobs SET state = 'running', attempt = attempt + 1, attempted_at = @now, lease_owner = @owner, " +
        "lease_expires_at = @expires_at, lease_token = @token_base + id, cancel_requested = false " +
        // The candidates are locked (CandidatesSql, FOR UPDATE) in this transaction. The guard names the states a due job
        // is not, so it implies no partial index's predicate and the planner looks the ids up by primary key (see the
        // note on the fetch in PostgresJobStore.Jobs.cs).
        $"WHERE id = ANY(@ids) AND state NOT IN ('running', 'waiting', 'completed', 'cancelled', 'discarded') RETURNING {Columns}, lease_token";

    private const string ParkSql =
        "UPDATE {s}.pacer_jobs AS j SET state = 'waiting', waiting_on = w.waiting_on, wait_reason = w.wait_reason, wait_until = w.wait_until " +
        "FROM unnest(@ids, @waiting_on, @wait_reasons, @wait_untils) AS w(id, waiting_on, wait_reason, wait_until) " +
        $"WHERE j.id = w.id AND j.state IN {DueStates}";

    private const string UpsertResourcesSql =
        "INSERT INTO {s}.pacer_resources (name, state, updated_at) SELECT n, s, @now FROM unnest(@names, @states) AS w(n, s) " +
        "ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at";

    // Locks one key after another in the array's order, which the caller sorted: every process locks in the same order.
    private const string LockResourcesSql = "SELECT count(pg_advisory_xact_lock(k)) FROM unnest(@keys) AS k";

    private const string ReadResourcesSql = "SELECT name, state, updated_at FROM {s}.pacer_resources WHERE name = ANY(@names)";

    // Sums over the claims of running jobs only: these are few (the workers' slots), and the running-jobs index finds them.
    private const string RunningCostsSql =
        "SELECT c->>'resource', sum((c->>'cost')::int)::int FROM {s}.pacer_jobs AS j CROSS JOIN LATERAL jsonb_array_elements(j.claims) AS c " +
        "WHERE j.state = 'running' AND j.claims <> '[]'::jsonb AND c->>'resource' = ANY(@names) GROUP BY 1";

    /// <summary>
    /// One transaction, a few round trips whatever the batch size: (1) lock up to the candidate limit of due jobs in
    /// dispatch order, skipping those another process is deciding on; (2) take the advisory locks of the resources they
    /// claim in a global order, then read those resources and the running costs in statements that start after the
    /// locks are held (so they see every admission committed before); (3) call the decider; (4) claim, park and write
    /// the resource states in one batch, and commit. Two processes that share a resource therefore decide one after
    /// the other on its latest state, which is what keeps a shared rate limit shared.
    /// </summary>
    public Task<AdmissionFetchResult> FetchWithAdmissionAsync(AdmissionFetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Decide);
        var fetch = request.Fetch ?? throw new ArgumentException("AdmissionFetchRequest.Fetch is required.", nameof(request));
        StoreRequestChecks.Fetch(fetch);
        if (fetch.Limit == 0)
            return Task.FromResult(new AdmissionFetchResult([], 0, null));
        var candidateLimit = Math.Max(request.CandidateLimit, fetch.Limit);
        return InTransactionAsync(async (connection, transaction) =>
        {
            var candidates = new List<AdmissionCandidate>();
            await using (var list = Command(connection, transaction, Sql(CandidatesSql)))
            {
                list.Parameters.Add(Text("queue", fetch.Queue));
                list.Parameters.Add(QueueParent(fetch.Queue));
                list.Parameters.Add(Time("now", fetch.Now));
                list.Parameters.Add(Int("limit", candidateLimit));
                await using var reader = await list.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    candidates.Add(ReadCandidate(reader));
            }
            if (candidates.Count == 0)
                return new AdmissionFetchResult([], 0, null);

            var names = candidates.SelectMany(c => c.Claims).Select(c => c.Resource).Distinct(StringComparer.Ordinal).ToArray();
            var (resources, running) = await LockAndReadResourcesAsync(connection, transaction, names, includeRunningCosts: true, cancellationToken);
            var decision = request.Decide(new AdmissionInput(candidates, resources, running, fetch.Now))
                ?? throw new InvalidOperationException("The admission decider returned null.");

            // Claim only what this transaction holds (the candidates), at most the limit, first in dispatch order.
            var admitted = decision.Admit.ToHashSet();
            var claim = candidates.Where(c => admitted.Contains(c.Id)).Take(fetch.Limit).Select(c => c.Id).ToArray();
            // The claim first: it is the one statement whose rows are read (Npgsql's reader passes over statements that return none).
            await using var batch = Batch(connection, transaction);
            if (claim.Length > 0)
            {
                var command = BatchCommand(ClaimSql, Longs("ids", claim));
                command.Parameters.Add(Time("now", fetch.Now));
                command.Parameters.Add(Text("owner", fetch.Owner));
                command.Parameters.Add(Time("expires_at", fetch.Now + fetch.LeaseDuration));
                command.Parameters.Add(Long("token_base", NewTokenBase()));
                batch.BatchCommands.Add(command);
            }
            var parkIndex = -1;
            if (decision.Park.Count > 0)
            {
                parkIndex = batch.BatchCommands.Count;
                batch.BatchCommands.Add(BatchCommand(ParkSql,
                    Longs("ids", [.. decision.Park.Select(p => p.JobId)]),
                    Texts("waiting_on", [.. decision.Park.Select(p => p.WaitingOn)]),
                    Texts("wait_reasons", [.. decision.Park.Select(p => p.Reason)]),
                    Times("wait_untils", [.. decision.Park.Select(p => p.Until.UtcDateTime)])));
            }
            AddResourceWrites(batch, decision.Writes, fetch.Now);
            var jobs = new List<FetchedJob>(claim.Length);
            if (batch.BatchCommands.Count > 0)
            {
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                if (claim.Length > 0)
                {
                    while (await reader.ReadAsync(cancellationToken))
                        jobs.Add(new FetchedJob(ReadJob(reader), reader.GetInt64(ColumnCount)));
                }
            }
            var parked = parkIndex >= 0 ? batch.BatchCommands[parkIndex].RecordsAffected : 0;
            jobs.Sort(ByDispatchOrder);
            return new AdmissionFetchResult(jobs, parked, decision.NextCheckAt);
        }, cancellationToken);
    }

    public Task<T> UpdateResourcesAsync<T>(ResourceUpdateRequest<T> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Names);
        ArgumentNullException.ThrowIfNull(request.Update);
        var names = request.Names.Distinct(StringComparer.Ordinal).ToArray();
        return InTransactionAsync(async (connection, transaction) =>
        {
            var (resources, running) = await LockAndReadResourcesAsync(connection, transaction, names, request.IncludeRunningCosts, cancellationToken);
            var update = request.Update(new ResourceUpdateInput(resources, running, request.Now))
                ?? throw new InvalidOperationException("The resource update returned null.");
            await using var batch = Batch(connection, transaction);
            AddResourceWrites(batch, update.Writes, request.Now);
            foreach (var resource in update.Wake.Distinct(StringComparer.Ordinal))
                batch.BatchCommands.Add(WakeCommand(resource, int.MaxValue));
            if (batch.BatchCommands.Count > 0)
                await batch.ExecuteNonQueryAsync(cancellationToken);
            return update.Result;
        }, cancellationToken);
    }

    /// <summary>
    /// Takes the resources' advisory locks (transaction-level: released at commit or rollback, also when the process
    /// dies), sorted by key so that two processes never wait on each other in a cycle; then reads their rows and,
    /// if asked, the costs running jobs hold. The reads are later statements of the same batch, so each takes its
    /// snapshot after the locks are held. A lock rather than SELECT ... FOR UPDATE: a resource used for the first time
    /// has no row to lock yet, and its first admissions must serialise too.
    /// </summary>
    private async Task<(Dictionary<string, ResourceRow> Resources, Dictionary<string, int> Running)> LockAndReadResourcesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] names, bool includeRunningCosts, CancellationToken cancellationToken)
    {
        var resources = new Dictionary<string, ResourceRow>(StringComparer.Ordinal);
        var running = new Dictionary<string, int>(StringComparer.Ordinal);
        if (names.Length == 0)
            return (resources, running);
        var keys = names.Select(n => LockKey(_schema, n)).Distinct().Order().ToArray();
        await using var batch = Batch(connection, transaction);
        batch.BatchCommands.Add(BatchCommand(LockResourcesSql, Longs("keys", keys)));
        batch.BatchCommands.Add(BatchCommand(ReadResourcesSql, Texts("names", names)));
        if (includeRunningCosts)
            batch.BatchCommands.Add(BatchCommand(RunningCostsSql, Texts("names", names)));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            resources[reader.GetString(0)] = new ResourceRow(reader.GetString(0), reader.GetString(1), Time(reader, 2));
        if (includeRunningCosts && await reader.NextResultAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                running[reader.GetString(0)] = reader.GetInt32(1);
        }
        return (resources, running);
    }

    private void AddResourceWrites(NpgsqlBatch batch, IReadOnlyList<ResourceWrite> writes, DateTimeOffset now)
    {
        if (writes.Count == 0)
            return;
        // One row per name (the last write wins, as if written one after the other): an upsert may touch a row once.
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var write in writes)
            last[write.Name] = write.State;
        batch.BatchCommands.Add(BatchCommand(UpsertResourcesSql,
            Texts("names", [.. last.Keys]),
            Texts("states", [.. last.Values]),
            Time("now", now)));
    }

    private NpgsqlBatchCommand WakeCommand(string resource, int limit)
    {
        var command = new NpgsqlBatchCommand(CountAndNotify(Sql(WakeSql)));
        command.Parameters.Add(Text("resource", resource));
        command.Parameters.Add(Int("limit", limit));
        AddChannel(command.Parameters);
        return command;
    }

    private async Task<int> WakeManyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyDictionary<string, int> limits, CancellationToken cancellationToken)
    {
        await using var batch = Batch(connection, transaction);
        foreach (var (resource, limit) in limits.OrderBy(l => l.Key, StringComparer.Ordinal))
            batch.BatchCommands.Add(WakeCommand(resource, limit));
        var woken = 0;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            if (await reader.ReadAsync(cancellationToken))
                woken += reader.GetInt32(0);
        }
        while (await reader.NextResultAsync(cancellationToken));
        return woken;
    }

    public Task<IReadOnlyList<ResourceRow>> ListResourcesAsync(CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyList<ResourceRow>>(async connection =>
    {
        await using var command = Command(connection, null, Sql("SELECT name, state, updated_at FROM {s}.pacer_resources ORDER BY name COLLATE \"C\""));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ResourceRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new ResourceRow(reader.GetString(0), reader.GetString(1), Time(reader, 2)));
        return rows;
    }, cancellationToken);

    public Task<int> DeleteResourcesAsync(IReadOnlyList<ResourceRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            return Task.FromResult(0);
        return WithConnectionAsync(async connection =>
        {
            // Only rows nobody wrote since they were read: a partition that came back to life stays. A writer that holds
            // the row makes this wait, and the guard is then checked against what it wrote.
            await using var delete = Command(connection, null, Sql(
                "DELETE FROM {s}.pacer_resources AS r USING unnest(@names, @updated) AS d(name, updated_at) " +
                "WHERE r.name = d.name AND r.updated_at = d.updated_at"));
            delete.Parameters.Add(Texts("names", [.. rows.Select(r => r.Name)]));
            delete.Parameters.Add(Times("updated", [.. rows.Select(r => r.UpdatedAt.UtcDateTime)]));
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task<int> WakeWaitingAsync(WakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Resource, nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        if (request.Limit == 0)
            return Task.FromResult(0);
        return WithConnectionAsync(connection =>
            WakeManyAsync(connection, null, new Dictionary<string, int> { [request.Resource] = request.Limit }, cancellationToken), cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, long>> CountWaitingAsync(CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyDictionary<string, long>>(async connection =>
    {
        await using var command = Command(connection, null, Sql("SELECT waiting_on, count(*) FROM {s}.pacer_jobs WHERE state = 'waiting' GROUP BY waiting_on"));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
            counts[reader.IsDBNull(0) ? "" : reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }, cancellationToken);

    public Task SetQueuePausedAsync(string queue, bool paused, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return WithConnectionAsync(async connection =>
        {
            await using var batch = Batch(connection, null);
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO {s}.pacer_queues (name, paused, updated_at) VALUES (@name, @paused, @now) " +
                "ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at",
                Text("name", queue), Bool("paused", paused), Time("now", now)));
            // A resumed queue may have work waiting, and so may the queues named after it (default:web-1 waits while
            // default is paused): wake every idle worker, an empty payload. Resumes are rare.
            if (!paused)
                AddNotify(batch, [""]);
            return await batch.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<QueueState>> ListQueueStatesAsync(CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyList<QueueState>>(async connection =>
    {
        await using var command = Command(connection, null, Sql("SELECT name, paused, updated_at FROM {s}.pacer_queues ORDER BY name COLLATE \"C\""));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var queues = new List<QueueState>();
        while (await reader.ReadAsync(cancellationToken))
            queues.Add(new QueueState(reader.GetString(0), reader.GetBoolean(1), Time(reader, 2)));
        return queues;
    }, cancellationToken);

    public Task<HttpCacheEntry?> GetHttpCacheAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql(
                "SELECT key, url, etag, last_modified, status, headers, body, stored_at FROM {s}.pacer_http_cache WHERE key = @key"));
            command.Parameters.Add(Text("key", key));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            return new HttpCacheEntry(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4), reader.GetString(5), reader.GetFieldValue<byte[]>(6),
                Time(reader, 7));
        }, cancellationToken);
    }

    public Task PutHttpCacheAsync(HttpCacheEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Key, nameof(entry));
        ArgumentNullException.ThrowIfNull(entry.Body, nameof(entry));
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql(
                "INSERT INTO {s}.pacer_http_cache (key, url, etag, last_modified, status, headers, body, stored_at) " +
                "VALUES (@key, @url, @etag, @last_modified, @status, @headers, @body, @stored_at) " +
                "ON CONFLICT (key) DO UPDATE SET url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified, " +
                "status = excluded.status, headers = excluded.headers, body = excluded.body, stored_at = excluded.stored_at"));
            command.Parameters.Add(Text("key", entry.Key));
            command.Parameters.Add(Text("url", entry.Url));
            command.Parameters.Add(Text("etag", entry.ETag));
            command.Parameters.Add(Text("last_modified", entry.LastModified));
            command.Parameters.Add(Int("status", entry.Status));
            command.Parameters.Add(Text("headers", entry.Headers));
            command.Parameters.Add(new NpgsqlParameter<byte[]>("body", entry.Body));
            command.Parameters.Add(Time("stored_at", entry.StoredAt));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    // No index on stored_at: the table holds one row per URL a client revalidates (a few thousand), and the cleaner looks
    // once a minute; an index would cost every store of an answer.
    public Task<int> DeleteHttpCacheAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) => DeleteUpToAsync(
        "WITH picked AS MATERIALIZED (SELECT key AS picked_key FROM {s}.pacer_http_cache WHERE stored_at < @before LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        "DELETE FROM {s}.pacer_http_cache USING picked WHERE key = picked_key",
        Time("before", before), limit, cancellationToken);
}
