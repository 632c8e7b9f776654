using Microsoft.Data.Sqlite;
using Pacer.Storage;

namespace Pacer.Sqlite;

internal sealed partial class SqliteJobStore
{
    /// <summary>
    /// A wake picks the longest waiters with this, then makes each available with <see cref="WakeOneSql"/>. Not one
    /// UPDATE ... WHERE id IN (SELECT ...): SQLite builds a temporary b-tree for the IN list on every execution, and a
    /// wake runs for every completion that returns a concurrency permit, almost always finding nobody waiting.
    /// </summary>
    internal const string WaitersSql =
        "SELECT id FROM pacer_jobs WHERE state = 'waiting' AND waiting_on = @resource ORDER BY priority DESC, scheduled_at, id LIMIT @limit";

    private const string WakeOneSql = $"UPDATE pacer_jobs SET state = 'available', {ClearWait} WHERE id = @id AND state = 'waiting'";

    private const string ParkSql =
        "UPDATE pacer_jobs SET state = 'waiting', waiting_on = @waiting_on, wait_reason = @wait_reason, wait_until = @wait_until " +
        $"WHERE id = @id AND {IsDue}";

    private const string UpsertResourceSql =
        "INSERT INTO pacer_resources (name, state, updated_at) VALUES (@name, @state, @now) " +
        "ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at";

    // Sums over the claims of running jobs only: these are few (the workers' slots), and the lease index finds them.
    private const string RunningCostsSql =
        "SELECT json_extract(c.value, '$.resource') AS resource, sum(json_extract(c.value, '$.cost')) " +
        "FROM pacer_jobs j, json_each(j.claims) c WHERE j.state = 'running' AND j.claims <> '[]' " +
        "AND json_extract(c.value, '$.resource') IN (SELECT value FROM json_each(@names)) GROUP BY resource";

    public Task<AdmissionFetchResult> FetchWithAdmissionAsync(AdmissionFetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Decide);
        var fetch = request.Fetch ?? throw new ArgumentException("AdmissionFetchRequest.Fetch is required.", nameof(request));
        StoreRequestChecks.Fetch(fetch);
        if (fetch.Limit == 0)
            return Task.FromResult(new AdmissionFetchResult([], 0, null));
        var candidateLimit = Math.Max(request.CandidateLimit, fetch.Limit);
        var tokenBase = NewTokenBase();
        return WriteAsync(transaction =>
        {
            if (IsQueuePaused(transaction, fetch.Queue))
                return new AdmissionFetchResult([], 0, null);
            var candidates = new List<AdmissionCandidate>();
            using (var lease = Statement(transaction, ListDueClaimsSql))
            {
                var list = lease.Command;
                list.Parameters.AddWithValue("@queue", fetch.Queue);
                list.Parameters.AddWithValue("@now", JobRows.ToDb(fetch.Now));
                list.Parameters.AddWithValue("@limit", candidateLimit);
                using var reader = list.ExecuteReader();
                while (reader.Read())
                    candidates.Add(JobRows.ReadCandidate(reader));
            }
            if (candidates.Count == 0)
                return new AdmissionFetchResult([], 0, null);

            var names = candidates.SelectMany(c => c.Claims).Select(c => c.Resource).Distinct(StringComparer.Ordinal).ToArray();
            var resources = names.Length == 0 ? new Dictionary<string, ResourceRow>() : ReadResources(transaction, names);
            var running = names.Length == 0 ? new Dictionary<string, int>() : ReadRunningCosts(transaction, names);
            var decision = request.Decide(new AdmissionInput(candidates, resources, running, fetch.Now))
                ?? throw new InvalidOperationException("The admission decider returned null.");

            WriteResources(transaction, decision.Writes, fetch.Now);
            var parked = Park(transaction, decision.Park);
            // The admitted jobs are candidates read above in this transaction, so still due: read each whole by its key
            // and claim it, in dispatch order.
            var admitted = decision.Admit.ToHashSet();
            admitted.ExceptWith(decision.Park.Select(p => p.JobId));
            var picked = ReadPicked(transaction, candidates.Where(c => admitted.Contains(c.Id)).Take(fetch.Limit));
            var jobs = Claim(transaction, picked, fetch, tokenBase);
            return new AdmissionFetchResult(jobs, parked, decision.NextCheckAt);
        }, cancellationToken);
    }

    public Task<T> UpdateResourcesAsync<T>(ResourceUpdateRequest<T> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Names);
        ArgumentNullException.ThrowIfNull(request.Update);
        var names = request.Names.Distinct(StringComparer.Ordinal).ToArray();
        return WriteAsync(transaction =>
        {
            var resources = names.Length == 0 ? new Dictionary<string, ResourceRow>() : ReadResources(transaction, names);
            var running = request.IncludeRunningCosts && names.Length > 0 ? ReadRunningCosts(transaction, names) : new Dictionary<string, int>();
            var update = request.Update(new ResourceUpdateInput(resources, running, request.Now))
                ?? throw new InvalidOperationException("The resource update returned null.");
            WriteResources(transaction, update.Writes, request.Now);
            foreach (var resource in update.Wake)
                Wake(transaction, resource, int.MaxValue);
            return update.Result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ResourceRow>> ListResourcesAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<ResourceRow>>(connection =>
    {
        using var command = Command(connection, null, "SELECT name, state, updated_at FROM pacer_resources ORDER BY name");
        using var reader = command.ExecuteReader();
        var rows = new List<ResourceRow>();
        while (reader.Read())
            rows.Add(new ResourceRow(reader.GetString(0), reader.GetString(1), JobRows.FromDb(reader.GetInt64(2))));
        return rows;
    }, cancellationToken);

    public Task<int> DeleteResourcesAsync(IReadOnlyList<ResourceRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            return Task.FromResult(0);
        return WriteAsync(transaction =>
        {
            // Only rows nobody wrote since they were read: a partition that came back to life stays.
            using var delete = Command(transaction, "DELETE FROM pacer_resources WHERE name = @name AND updated_at = @updated_at");
            var name = delete.Parameters.Add("@name", SqliteType.Text);
            var updatedAt = delete.Parameters.Add("@updated_at", SqliteType.Integer);
            var deleted = 0;
            foreach (var row in rows)
            {
                name.Value = row.Name;
                updatedAt.Value = JobRows.ToDb(row.UpdatedAt);
                deleted += delete.ExecuteNonQuery();
            }
            return deleted;
        }, cancellationToken);
    }

    public Task<int> WakeWaitingAsync(WakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Resource, nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        if (request.Limit == 0)
            return Task.FromResult(0);
        return WriteAsync(transaction => Wake(transaction, request.Resource, request.Limit), cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, long>> CountWaitingAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlyDictionary<string, long>>(connection =>
    {
        using var command = Command(connection, null, "SELECT waiting_on, count(*) FROM pacer_jobs WHERE state = 'waiting' GROUP BY waiting_on");
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.Read())
            counts[reader.IsDBNull(0) ? "" : reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }, cancellationToken);

    public Task SetQueuePausedAsync(string queue, bool paused, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction,
                "INSERT INTO pacer_queues (name, paused, updated_at) VALUES (@name, @paused, @now) " +
                "ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at");
            command.Parameters.AddWithValue("@name", queue);
            command.Parameters.AddWithValue("@paused", paused ? 1 : 0);
            command.Parameters.AddWithValue("@now", JobRows.ToDb(now));
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public Task<IReadOnlyList<QueueState>> ListQueueStatesAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<QueueState>>(connection =>
    {
        using var command = Command(connection, null, "SELECT name, paused, updated_at FROM pacer_queues ORDER BY name");
        using var reader = command.ExecuteReader();
        var queues = new List<QueueState>();
        while (reader.Read())
            queues.Add(new QueueState(reader.GetString(0), reader.GetInt64(1) != 0, JobRows.FromDb(reader.GetInt64(2))));
        return queues;
    }, cancellationToken);

    public Task<HttpCacheEntry?> GetHttpCacheAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return ReadAsync(connection =>
        {
            using var command = Command(connection, null,
                "SELECT key, url, etag, last_modified, status, headers, body, stored_at FROM pacer_http_cache WHERE key = @key");
            command.Parameters.AddWithValue("@key", key);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
                return null;
            return new HttpCacheEntry(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4), reader.GetString(5), (byte[])reader.GetValue(6),
                JobRows.FromDb(reader.GetInt64(7)));
        }, cancellationToken);
    }

    public Task PutHttpCacheAsync(HttpCacheEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Key, nameof(entry));
        ArgumentNullException.ThrowIfNull(entry.Body, nameof(entry));
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction,
                "INSERT OR REPLACE INTO pacer_http_cache (key, url, etag, last_modified, status, headers, body, stored_at) " +
                "VALUES (@key, @url, @etag, @last_modified, @status, @headers, @body, @stored_at)");
            command.Parameters.AddWithValue("@key", entry.Key);
            command.Parameters.AddWithValue("@url", entry.Url);
            command.Parameters.AddWithValue("@etag", JobRows.ToDb(entry.ETag));
            command.Parameters.AddWithValue("@last_modified", JobRows.ToDb(entry.LastModified));
            command.Parameters.AddWithValue("@status", entry.Status);
            command.Parameters.AddWithValue("@headers", entry.Headers);
            command.Parameters.Add("@body", SqliteType.Blob).Value = entry.Body;
            command.Parameters.AddWithValue("@stored_at", JobRows.ToDb(entry.StoredAt));
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    // No index on stored_at: the table holds one row per URL a client revalidates (a few thousand), and the cleaner looks
    // once a minute; an index would cost every store of an answer.
    public Task<int> DeleteHttpCacheAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) => DeleteUpToAsync(
        "DELETE FROM pacer_http_cache WHERE key IN (SELECT key FROM pacer_http_cache WHERE stored_at < @before LIMIT @limit)",
        "@before", before, limit, cancellationToken);

    // ----- inside a write transaction -----

    // The statements below run in every dispatch pass or completion batch: kept prepared on the writer (see Statement),
    // since compiling them (an UPDATE of pacer_jobs evaluates every partial index's predicate) cost more than running them.

    private List<JobRecord> ReadPicked(SqliteTransaction transaction, IEnumerable<AdmissionCandidate> picked)
    {
        var jobs = new List<JobRecord>();
        using var lease = Statement(transaction, GetJobSql);
        var get = lease.Command;
        var id = get.Parameters.Add("@id", SqliteType.Integer);
        foreach (var candidate in picked)
        {
            id.Value = candidate.Id;
            using var reader = get.ExecuteReader();
            if (!reader.Read())
                throw new InvalidOperationException($"Job {candidate.Id} was listed as due in this transaction but is gone.");
            jobs.Add(JobRows.Read(reader));
        }
        return jobs;
    }

    /// <summary>Whether the queue is paused, itself or through the queue its name starts with (<c>default</c> for <c>default:web-1</c>).</summary>
    private bool IsQueuePaused(SqliteTransaction transaction, string queue)
    {
        // Every fetch asks: a queue without a parent keeps the one-key lookup.
        var parent = QueueState.PausedWith(queue);
        using var lease = Statement(transaction, parent is null
            ? "SELECT paused FROM pacer_queues WHERE name = @queue"
            : "SELECT MAX(paused) FROM pacer_queues WHERE name = @queue OR name = @parent");
        var command = lease.Command;
        command.Parameters.AddWithValue("@queue", queue);
        if (parent is not null)
            command.Parameters.AddWithValue("@parent", parent);
        return command.ExecuteScalar() is long paused && paused != 0;
    }

    private Dictionary<string, ResourceRow> ReadResources(SqliteTransaction transaction, IReadOnlyList<string> names)
    {
        using var lease = Statement(transaction, "SELECT name, state, updated_at FROM pacer_resources WHERE name IN (SELECT value FROM json_each(@names))");
        var command = lease.Command;
        command.Parameters.AddWithValue("@names", JsonNames(names));
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, ResourceRow>(StringComparer.Ordinal);
        while (reader.Read())
            rows[reader.GetString(0)] = new ResourceRow(reader.GetString(0), reader.GetString(1), JobRows.FromDb(reader.GetInt64(2)));
        return rows;
    }

    private Dictionary<string, int> ReadRunningCosts(SqliteTransaction transaction, IReadOnlyList<string> names)
    {
        using var lease = Statement(transaction, RunningCostsSql);
        var command = lease.Command;
        command.Parameters.AddWithValue("@names", JsonNames(names));
        using var reader = command.ExecuteReader();
        var costs = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
            costs[reader.GetString(0)] = (int)reader.GetInt64(1);
        return costs;
    }

    private void WriteResources(SqliteTransaction transaction, IReadOnlyList<ResourceWrite> writes, DateTimeOffset now)
    {
        if (writes.Count == 0)
            return;
        using var lease = Statement(transaction, UpsertResourceSql);
        var upsert = lease.Command;
        var name = upsert.Parameters.Add("@name", SqliteType.Text);
        var state = upsert.Parameters.Add("@state", SqliteType.Text);
        upsert.Parameters.AddWithValue("@now", JobRows.ToDb(now));
        foreach (var write in writes)
        {
            name.Value = write.Name;
            state.Value = write.State;
            upsert.ExecuteNonQuery();
        }
    }

    private int Park(SqliteTransaction transaction, IReadOnlyList<JobWait> waits)
    {
        if (waits.Count == 0)
            return 0;
        using var lease = Statement(transaction, ParkSql);
        var park = lease.Command;
        var id = park.Parameters.Add("@id", SqliteType.Integer);
        var waitingOn = park.Parameters.Add("@waiting_on", SqliteType.Text);
        var reason = park.Parameters.Add("@wait_reason", SqliteType.Text);
        var until = park.Parameters.Add("@wait_until", SqliteType.Integer);
        var parked = 0;
        foreach (var wait in waits)
        {
            id.Value = wait.JobId;
            waitingOn.Value = wait.WaitingOn;
            reason.Value = wait.Reason;
            until.Value = JobRows.ToDb(wait.Until);
            parked += park.ExecuteNonQuery();
        }
        return parked;
    }

    private int Wake(SqliteTransaction transaction, string resource, int limit)
    {
        var ids = new List<long>();
        using (var lease = Statement(transaction, WaitersSql))
        {
            var waiters = lease.Command;
            waiters.Parameters.AddWithValue("@resource", resource);
            waiters.Parameters.AddWithValue("@limit", limit);
            // Read to the end before writing: SQLite leaves undefined what a cursor sees of rows changed under it.
            using var reader = waiters.ExecuteReader();
            while (reader.Read())
                ids.Add(reader.GetInt64(0));
        }
        if (ids.Count == 0)
            return 0;
        using var wakeLease = Statement(transaction, WakeOneSql);
        var wake = wakeLease.Command;
        var id = wake.Parameters.Add("@id", SqliteType.Integer);
        var woken = 0;
        foreach (var waiter in ids)
        {
            id.Value = waiter;
            woken += wake.ExecuteNonQuery();
        }
        return woken;
    }

    private static string JsonNames(IReadOnlyList<string> names) =>
        System.Text.Json.JsonSerializer.Serialize(names, StoreJson.Default.IReadOnlyListString);
}
