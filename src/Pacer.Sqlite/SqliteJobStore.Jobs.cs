using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Pacer.Storage;

namespace Pacer.Sqlite;

internal sealed partial class SqliteJobStore
{
    // Bases stay below 2^62 and ids below 2^62 too in any real database, so base + id neither overflows nor is zero.
    private const long MaxTokenBase = 1L << 62;

    // A due job, as the fetch index says it (see JobRows.IsFinal for why not IN (...)).
    private const string IsDue = "(state = 'available' OR state = 'scheduled' OR state = 'retryable')";

    private const string ClearLease = "lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, cancel_requested = 0";

    private const string ClearWait = "waiting_on = NULL, wait_reason = NULL, wait_until = NULL";

    private const string HeldByToken = "WHERE id = @id AND state = 'running' AND lease_token = @token";

    private const string AppendError = "errors = CASE WHEN @error IS NULL THEN errors ELSE json_insert(errors, '$[#]', json(@error)) END";

    // The WHERE matches the partial index pacer_jobs_fetch word for word, so SQLite walks that index in dispatch order.
    private const string DueSelection =
        $"{IsDue} AND queue = @queue AND scheduled_at <= @now";

    private const string DispatchOrder = "ORDER BY priority DESC, scheduled_at, id";

    /// <summary>
    /// Inserts one job and yields its id, or nothing when an unfinished job holds the unique key (the partial unique
    /// index on unique_key is the only constraint an insert can hit). Two statements rather than RETURNING: SQLite
    /// buffers RETURNING rows in a temporary b-tree built and freed on every execution, which cost more than the insert.
    /// </summary>
    private const string InsertSql =
        "INSERT INTO pacer_jobs (kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, timeout_ticks, tags, claims, unique_key, errors, trace_parent) " +
        "VALUES (@kind, @queue, @priority, @args, @state, 0, @max_attempts, @scheduled_at, @created_at, @timeout_ticks, @tags, @claims, @unique_key, '[]', @trace_parent) " +
        "ON CONFLICT DO NOTHING; " +
        "SELECT last_insert_rowid() WHERE changes() = 1";

    internal const string ExistingByKeySql = $"SELECT id FROM pacer_jobs WHERE unique_key = @unique_key AND {JobRows.IsUnfinished}";

    /// <summary>
    /// A fetch picks due jobs with this (or <see cref="FetchOnlyIdsSql"/>), then claims each with <see cref="ClaimSql"/>,
    /// all in one write transaction, so nothing moves in between. Not one UPDATE ... WHERE id IN (SELECT ...) RETURNING:
    /// SQLite runs that through two temporary b-trees built and freed on every fetch, which cost more than the work.
    /// </summary>
    internal const string FetchSql = ListDueSql;

    internal const string FetchOnlyIdsSql =
        $"SELECT {JobRows.Columns} FROM pacer_jobs WHERE {DueSelection} AND id IN (SELECT value FROM json_each(@only_ids)) {DispatchOrder} LIMIT @limit";

    /// <summary>
    /// Claims one picked job. Each fetch draws one random base from a CSPRNG and a job's token is base + id: distinct
    /// for every job of the fetch, and equal to a token of an earlier attempt of the same job only if two random bases
    /// are equal (one chance in 2^62).
    /// </summary>
    private const string ClaimSql =
        "UPDATE pacer_jobs SET state = 'running', attempt = attempt + 1, attempted_at = @now, lease_owner = @owner, " +
        $"lease_expires_at = @expires_at, lease_token = @token, cancel_requested = 0 WHERE id = @id AND {IsDue}";

    internal const string ListDueSql = $"SELECT {JobRows.Columns} FROM pacer_jobs WHERE {DueSelection} {DispatchOrder} LIMIT @limit";

    /// <summary>
    /// Admission's candidates: only what it decides on. It looks at four times the free slots and admits at most those,
    /// so reading whole rows here read (and parsed the JSON of) three jobs in four for nothing.
    /// </summary>
    internal const string ListDueClaimsSql = $"SELECT id, claims FROM pacer_jobs WHERE {DueSelection} {DispatchOrder} LIMIT @limit";

    private const string GetJobSql = $"SELECT {JobRows.Columns} FROM pacer_jobs WHERE id = @id";

    internal const string RescueSelectSql =
        "SELECT id, attempt, max_attempts, lease_owner, lease_expires_at FROM pacer_jobs " +
        "WHERE state = 'running' AND lease_expires_at < @now ORDER BY lease_expires_at LIMIT @limit";

    internal const string RescueStoppedSelectSql =
        "SELECT id, attempt, max_attempts, lease_owner, lease_expires_at FROM pacer_jobs " +
        "WHERE state = 'running' AND (lease_expires_at < @now OR lease_owner IN (SELECT value FROM json_each(@owners))) " +
        "ORDER BY lease_expires_at LIMIT @limit";

    internal const string PromoteSql =
        "UPDATE pacer_jobs SET state = 'available' WHERE id IN (SELECT id FROM pacer_jobs " +
        "WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= @now ORDER BY scheduled_at LIMIT @limit)";

    // A waiting job keeps its scheduled_at, so once available again it has its old place in dispatch order.
    internal const string PromoteWaitingSql =
        $"UPDATE pacer_jobs SET state = 'available', {ClearWait} WHERE id IN (SELECT id FROM pacer_jobs " +
        "WHERE state = 'waiting' AND wait_until <= @now ORDER BY wait_until LIMIT @limit)";

    internal const string DeleteFinalizedSql =
        "DELETE FROM pacer_jobs WHERE id IN (SELECT id FROM pacer_jobs " +
        $"WHERE {JobRows.IsFinal} AND finalized_at < @before ORDER BY finalized_at LIMIT @limit)";

    internal const string FinalizedSinceSql = $"SELECT count(*) FROM pacer_jobs WHERE {JobRows.IsFinal} AND finalized_at >= @since";

    // ----- insert -----

    public Task<IReadOnlyList<InsertResult>> InsertManyAsync(InsertManyRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Insert(request);
        if (request.Jobs.Count == 0)
            return Task.FromResult<IReadOnlyList<InsertResult>>([]);
        return WriteAsync<IReadOnlyList<InsertResult>>(transaction => InsertJobs(transaction, request), cancellationToken);
    }

    public Task<IReadOnlyList<InsertResult>> InsertManyAsync(InsertManyRequest request, DbTransaction transaction, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Insert(request);
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction is not SqliteTransaction sqliteTransaction)
        {
            throw new ArgumentException(
                $"The SQLite store can only join a Microsoft.Data.Sqlite SqliteTransaction, not {transaction.GetType().FullName}. " +
                $"Open a SqliteConnection to '{_path}', begin a transaction on it and pass that.", nameof(transaction));
        }
        var connection = sqliteTransaction.Connection
            ?? throw new ArgumentException("The transaction has already been committed or rolled back; pass an open one.", nameof(transaction));
        if (!IsThisDatabase(connection))
        {
            throw new ArgumentException(
                $"The transaction is on '{connection.DataSource}', but this store's database is '{_path}'. Open the connection to the store's file.",
                nameof(transaction));
        }
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<IReadOnlyList<InsertResult>>(cancellationToken);
        if (request.Jobs.Count == 0)
            return Task.FromResult<IReadOnlyList<InsertResult>>([]);
        try
        {
            // The caller's connection holds (or takes) SQLite's write lock: no need, and no right, to take ours.
            return Task.FromResult<IReadOnlyList<InsertResult>>(InsertJobs(sqliteTransaction, request));
        }
        catch (Exception ex)
        {
            // Faults belong in the task; SQLite's own errors get a message that names the file.
            return Task.FromException<IReadOnlyList<InsertResult>>(ex is SqliteException sqlite && Translate(sqlite) is { } clear ? clear : ex);
        }
    }

    private bool IsThisDatabase(SqliteConnection connection)
    {
        var theirs = connection.DataSource;
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        // Both names come from SQLite itself once open, so they are spelled the same way for the same file.
        return string.Equals(theirs, _writerDataSource, comparison) || string.Equals(theirs, _path, comparison);
    }

    private InsertResult[] InsertJobs(SqliteTransaction transaction, InsertManyRequest request)
    {
        var results = new InsertResult[request.Jobs.Count];
        using var lease = Statement(transaction, InsertSql);
        var insert = lease.Command;
        var kind = insert.Parameters.Add("@kind", SqliteType.Text);
        var queue = insert.Parameters.Add("@queue", SqliteType.Text);
        var priority = insert.Parameters.Add("@priority", SqliteType.Integer);
        var args = insert.Parameters.Add("@args", SqliteType.Text);
        var state = insert.Parameters.Add("@state", SqliteType.Text);
        var maxAttempts = insert.Parameters.Add("@max_attempts", SqliteType.Integer);
        var scheduledAt = insert.Parameters.Add("@scheduled_at", SqliteType.Integer);
        var createdAt = insert.Parameters.Add("@created_at", SqliteType.Integer);
        var timeout = insert.Parameters.Add("@timeout_ticks", SqliteType.Integer);
        var tags = insert.Parameters.Add("@tags", SqliteType.Text);
        var claims = insert.Parameters.Add("@claims", SqliteType.Text);
        var uniqueKey = insert.Parameters.Add("@unique_key", SqliteType.Text);
        var traceParent = insert.Parameters.Add("@trace_parent", SqliteType.Text);
        createdAt.Value = JobRows.ToDb(request.Now);
        SqliteCommand? existing = null;
        try
        {
            for (var i = 0; i < results.Length; i++)
            {
                var job = request.Jobs[i];
                kind.Value = job.Kind;
                queue.Value = job.Queue;
                priority.Value = job.Priority;
                args.Value = job.Args;
                state.Value = (job.ScheduledAt > request.Now ? JobState.Scheduled : JobState.Available).ToWire();
                maxAttempts.Value = job.MaxAttempts;
                scheduledAt.Value = JobRows.ToDb(job.ScheduledAt);
                timeout.Value = job.Timeout is { } t ? t.Ticks : DBNull.Value;
                tags.Value = JobRows.WriteTags(job.Tags);
                claims.Value = JobRows.WriteClaims(job.Claims);
                uniqueKey.Value = JobRows.ToDb(job.UniqueKey);
                traceParent.Value = JobRows.ToDb(job.TraceParent);
                if (insert.ExecuteScalar() is long id)
                {
                    results[i] = new InsertResult(id, Existing: false);
                    continue;
                }
                // Nothing inserted: an unfinished job holds the key. It cannot change before we commit, we hold the write lock.
                existing ??= Command(transaction, ExistingByKeySql);
                existing.Parameters.Clear();
                existing.Parameters.AddWithValue("@unique_key", job.UniqueKey);
                var existingId = existing.ExecuteScalar() as long?
                    ?? throw new InvalidOperationException($"Inserting job {i} ({job.Kind}) hit a constraint, but no unfinished job holds unique key '{job.UniqueKey}'.");
                results[i] = new InsertResult(existingId, Existing: true);
            }
        }
        finally
        {
            existing?.Dispose();
        }
        return results;
    }

    // ----- fetch -----

    public Task<IReadOnlyList<JobRecord>> ListDueAsync(ListDueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Queue, nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        return ReadAsync<IReadOnlyList<JobRecord>>(connection =>
        {
            using var command = Command(connection, null, ListDueSql);
            command.Parameters.AddWithValue("@queue", request.Queue);
            command.Parameters.AddWithValue("@now", JobRows.ToDb(request.Now));
            command.Parameters.AddWithValue("@limit", request.Limit);
            return ReadJobs(command);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<FetchedJob>> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Fetch(request);
        var only = request.OnlyIds;
        var count = only is null ? request.Limit : Math.Min(request.Limit, only.Count);
        if (count == 0)
            return Task.FromResult<IReadOnlyList<FetchedJob>>([]);
        var tokenBase = NewTokenBase();
        return WriteAsync<IReadOnlyList<FetchedJob>>(transaction =>
        {
            // A paused queue yields nothing to any fetch, in every process.
            if (IsQueuePaused(transaction, request.Queue))
                return [];
            return PickAndClaim(transaction, request with { Limit = count }, tokenBase);
        }, cancellationToken);
    }

    /// <summary>
    /// Picks up to <see cref="FetchRequest.Limit"/> due jobs of the queue in dispatch order (only those in
    /// <see cref="FetchRequest.OnlyIds"/> if set) and claims them under leases, inside the caller's write transaction.
    /// </summary>
    private List<FetchedJob> PickAndClaim(SqliteTransaction transaction, FetchRequest request, long tokenBase)
    {
        var picked = new List<JobRecord>(request.Limit);
        using (var lease = Statement(transaction, request.OnlyIds is null ? FetchSql : FetchOnlyIdsSql))
        {
            var select = lease.Command;
            select.Parameters.AddWithValue("@queue", request.Queue);
            select.Parameters.AddWithValue("@now", JobRows.ToDb(request.Now));
            select.Parameters.AddWithValue("@limit", request.Limit);
            if (request.OnlyIds is { } only)
                select.Parameters.AddWithValue("@only_ids", JsonIds(only));
            // Read to the end before claiming: SQLite leaves undefined what a cursor sees of rows changed under it.
            picked.AddRange(ReadJobs(select));
        }
        return Claim(transaction, picked, request, tokenBase);
    }

    /// <summary>Claims jobs picked as due in the caller's write transaction (so still due) under leases, in the order given.</summary>
    private List<FetchedJob> Claim(SqliteTransaction transaction, List<JobRecord> picked, FetchRequest request, long tokenBase)
    {
        if (picked.Count == 0)
            return [];

        // The claimed row is the picked row with these values; stored times round-trip through ticks.
        var attemptedAt = JobRows.FromDb(JobRows.ToDb(request.Now));
        var expiresAt = JobRows.FromDb(JobRows.ToDb(request.Now + request.LeaseDuration));
        using var claimLease = Statement(transaction, ClaimSql);
        var claim = claimLease.Command;
        claim.Parameters.AddWithValue("@now", JobRows.ToDb(attemptedAt));
        claim.Parameters.AddWithValue("@owner", request.Owner);
        claim.Parameters.AddWithValue("@expires_at", JobRows.ToDb(expiresAt));
        var token = claim.Parameters.Add("@token", SqliteType.Integer);
        var id = claim.Parameters.Add("@id", SqliteType.Integer);
        var fetched = new List<FetchedJob>(picked.Count);
        foreach (var job in picked)
        {
            token.Value = tokenBase + job.Id;
            id.Value = job.Id;
            // The write lock is held since the select, so the job is still due; anything else is a bug worth a crash.
            if (claim.ExecuteNonQuery() != 1)
                throw new InvalidOperationException($"Job {job.Id} was picked as due but could not be claimed.");
            var claimed = job with
            {
                State = JobState.Running,
                Attempt = job.Attempt + 1,
                AttemptedAt = attemptedAt,
                LeaseOwner = request.Owner,
                LeaseExpiresAt = expiresAt,
                CancelRequested = false,
            };
            fetched.Add(new FetchedJob(claimed, tokenBase + job.Id));
        }
        // In dispatch order already: the select reads it from the index.
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

    /// <summary>
    /// States are written as literals (they come from the enum, never from the caller's text) so that SQLite can use
    /// the partial indexes, e.g. the lease index for "is anything running?", which the engine asks while draining.
    /// </summary>
    internal static string ListSql(JobQuery query, string columns = JobRows.Columns)
    {
        var sql = new StringBuilder($"SELECT {columns} FROM pacer_jobs WHERE 1 = 1");
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
            sql.Append(" AND tags <> '[]' AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = @tag)");
        if (query.BeforeId is not null)
            sql.Append(" AND id < @before");
        // Running jobs are at most the workers' slots: read them through the lease index and sort the few, rather
        // than walk the whole table backwards by id (which the planner prefers when it knows nothing of the data).
        var runningOnly = query.States is { Count: > 0 } only && only.All(state => state == JobState.Running);
        return sql.Append(runningOnly ? " ORDER BY +id DESC LIMIT @limit" : " ORDER BY id DESC LIMIT @limit").ToString();
    }

    private static string JsonIds(IReadOnlyList<long> ids)
    {
        var json = new StringBuilder((ids.Count * 8) + 2).Append('[');
        for (var i = 0; i < ids.Count; i++)
        {
            if (i > 0)
                json.Append(',');
            json.Append(ids[i].ToString(CultureInfo.InvariantCulture));
        }
        return json.Append(']').ToString();
    }

    public Task<ExtendLeasesResult> ExtendLeasesAsync(ExtendLeasesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Leases);
        if (request.Leases.Count == 0)
            return Task.FromResult(new ExtendLeasesResult([], []));
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction, $"UPDATE pacer_jobs SET lease_expires_at = @expires_at {HeldByToken} RETURNING cancel_requested");
            command.Parameters.AddWithValue("@expires_at", JobRows.ToDb(request.ExpiresAt));
            var id = command.Parameters.Add("@id", SqliteType.Integer);
            var token = command.Parameters.Add("@token", SqliteType.Integer);
            var lost = new List<long>();
            var cancelRequested = new List<long>();
            foreach (var lease in request.Leases)
            {
                id.Value = lease.JobId;
                token.Value = lease.LeaseToken;
                switch (command.ExecuteScalar())
                {
                    case null:
                        lost.Add(lease.JobId);
                        break;
                    case long flag when flag != 0:
                        cancelRequested.Add(lease.JobId);
                        break;
                }
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
        return WriteAsync<IReadOnlyList<bool>>(transaction =>
        {
            var accepted = new bool[completions.Count];
            for (var i = 0; i < completions.Count; i++)
            {
                var completion = completions[i];
                var statement = CompletionCommand.StatementOf(completion);
                // One prepared statement per kind, kept on the writer for every batch.
                var command = _completionCommands[(int)statement] ??= new CompletionCommand(_writer, statement);
                accepted[i] = command.Execute(transaction, completion) == 1;
                // The job gave back what it held: the longest-waiting jobs on those resources may now go.
                if (accepted[i])
                {
                    foreach (var claim in completion.Release)
                        Wake(transaction, claim.Resource, claim.Cost);
                }
            }
            return accepted;
        }, cancellationToken);
    }

    private sealed class CompletionCommand : IDisposable
    {
        public static readonly int StatementCount = Enum.GetValues<Statement>().Length;

        /// <summary>One statement per completion kind, and one more for a snooze that waits for a resource.</summary>
        public enum Statement { Completed, Retry, Discard, Snooze, Cancel, Wait }

        private readonly SqliteCommand _command;
        private readonly SqliteParameter _id;
        private readonly SqliteParameter _token;
        private readonly SqliteParameter _at;
        private readonly SqliteParameter _runAt;
        private readonly SqliteParameter _error;
        private readonly SqliteParameter? _waitingOn;
        private readonly SqliteParameter? _waitReason;

        public static Statement StatementOf(JobCompletion completion) => completion.Kind switch
        {
            CompletionKind.Completed => Statement.Completed,
            CompletionKind.Retry => Statement.Retry,
            CompletionKind.Discard => Statement.Discard,
            CompletionKind.Snooze => completion.Wait is null ? Statement.Snooze : Statement.Wait,
            CompletionKind.Cancel => Statement.Cancel,
            _ => throw new ArgumentOutOfRangeException(nameof(completion), completion.Kind, "Unknown completion kind."),
        };

        public CompletionCommand(SqliteConnection writer, Statement statement)
        {
            _command = Command(writer, null, Sql(statement));
            if (statement == Statement.Wait)
            {
                _waitingOn = _command.Parameters.Add("@waiting_on", SqliteType.Text);
                _waitReason = _command.Parameters.Add("@wait_reason", SqliteType.Text);
            }
            _id = _command.Parameters.Add("@id", SqliteType.Integer);
            _token = _command.Parameters.Add("@token", SqliteType.Integer);
            _at = _command.Parameters.Add("@at", SqliteType.Integer);
            _runAt = _command.Parameters.Add("@run_at", SqliteType.Integer);
            _error = _command.Parameters.Add("@error", SqliteType.Text);
        }

        public int Execute(SqliteTransaction transaction, JobCompletion completion)
        {
            _command.Transaction = transaction;
            _id.Value = completion.JobId;
            _token.Value = completion.LeaseToken;
            _at.Value = JobRows.ToDb(completion.At);
            _runAt.Value = JobRows.ToDb(completion.RunAt);
            _error.Value = JobRows.WriteErrorOrNull(completion.Error);
            if (_waitingOn is not null)
            {
                _waitingOn.Value = completion.Wait!.WaitingOn;
                _waitReason!.Value = completion.Wait.Reason;
            }
            return _command.ExecuteNonQuery();
        }

        public void Dispose() => _command.Dispose();

        private static string Sql(Statement statement) => statement switch
        {
            Statement.Completed => $"UPDATE pacer_jobs SET state = 'completed', finalized_at = @at, {ClearLease} {HeldByToken}",
            Statement.Retry => $"UPDATE pacer_jobs SET state = 'retryable', scheduled_at = @run_at, {AppendError}, {ClearLease} {HeldByToken}",
            Statement.Discard => $"UPDATE pacer_jobs SET state = 'discarded', finalized_at = @at, {AppendError}, {ClearLease} {HeldByToken}",
            // A snooze gives back the attempt the fetch took.
            Statement.Snooze => $"UPDATE pacer_jobs SET state = 'scheduled', scheduled_at = @run_at, attempt = max(attempt - 1, 0), {ClearLease} {HeldByToken}",
            // A job held back by a resource keeps its scheduled_at (its place in line) and waits, also without using an attempt.
            Statement.Wait => $"UPDATE pacer_jobs SET state = 'waiting', wait_until = @run_at, waiting_on = @waiting_on, wait_reason = @wait_reason, " +
                $"attempt = max(attempt - 1, 0), {ClearLease} {HeldByToken}",
            Statement.Cancel => $"UPDATE pacer_jobs SET state = 'cancelled', finalized_at = @at, {AppendError}, {ClearLease} {HeldByToken}",
            _ => throw new ArgumentOutOfRangeException(nameof(statement), statement, "Unknown completion statement."),
        };
    }

    // ----- maintenance -----

    public Task<IReadOnlyList<string>> ListLeaseOwnersAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<string>>(connection =>
    {
        using var command = Command(connection, null, "SELECT DISTINCT lease_owner FROM pacer_jobs WHERE state = 'running' AND lease_owner IS NOT NULL");
        using var reader = command.ExecuteReader();
        var owners = new List<string>();
        while (reader.Read())
            owners.Add(reader.GetString(0));
        return owners;
    }, cancellationToken);

    public Task<IReadOnlyList<RescuedJob>> RescueExpiredAsync(RescueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        if (request.Limit == 0)
            return Task.FromResult<IReadOnlyList<RescuedJob>>([]);
        return WriteAsync<IReadOnlyList<RescuedJob>>(transaction =>
        {
            var expired = new List<(long Id, int Attempt, int MaxAttempts, string? Owner, long ExpiresAt)>();
            var stopped = request.StoppedOwners ?? [];
            using (var select = Command(transaction, stopped.Count == 0 ? RescueSelectSql : RescueStoppedSelectSql))
            {
                select.Parameters.AddWithValue("@now", JobRows.ToDb(request.Now));
                if (stopped.Count > 0)
                    select.Parameters.AddWithValue("@owners", System.Text.Json.JsonSerializer.Serialize(stopped.ToArray(), StoreJson.Default.StringArray));
                select.Parameters.AddWithValue("@limit", request.Limit);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                    expired.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
            }
            if (expired.Count == 0)
                return [];
            // Nothing can change between the select and these updates: this transaction holds the write lock.
            using var update = Command(transaction,
                "UPDATE pacer_jobs SET state = @state, " +
                "scheduled_at = CASE WHEN @state = 'retryable' THEN @now ELSE scheduled_at END, " +
                "finalized_at = CASE WHEN @state = 'discarded' THEN @now ELSE NULL END, " +
                $"errors = json_insert(errors, '$[#]', json(@error)), {ClearLease} WHERE id = @id AND state = 'running'");
            update.Parameters.AddWithValue("@now", JobRows.ToDb(request.Now));
            var state = update.Parameters.Add("@state", SqliteType.Text);
            var error = update.Parameters.Add("@error", SqliteType.Text);
            var id = update.Parameters.Add("@id", SqliteType.Integer);
            var rescued = new List<RescuedJob>(expired.Count);
            foreach (var job in expired)
            {
                var newState = job.Attempt >= job.MaxAttempts ? JobState.Discarded : JobState.Retryable;
                var message = JobRescue.Message(job.Owner, JobRows.FromDb(job.ExpiresAt), request, newState, job.Attempt, job.MaxAttempts);
                state.Value = newState.ToWire();
                error.Value = JobRows.WriteError(new JobError(job.Attempt, request.Now, "Pacer.LeaseExpired", message, null));
                id.Value = job.Id;
                if (update.ExecuteNonQuery() == 1)
                    rescued.Add(new RescuedJob(job.Id, newState));
            }
            return rescued;
        }, cancellationToken);
    }

    public Task<int> PromoteDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult(0);
        return WriteAsync(transaction =>
        {
            var promoted = 0;
            foreach (var sql in new[] { PromoteSql, PromoteWaitingSql })
            {
                using var command = Command(transaction, sql);
                command.Parameters.AddWithValue("@now", JobRows.ToDb(now));
                command.Parameters.AddWithValue("@limit", limit - promoted);
                promoted += command.ExecuteNonQuery();
                if (promoted >= limit)
                    break;
            }
            return promoted;
        }, cancellationToken);
    }

    public Task<int> DeleteFinalizedAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult(0);
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction, DeleteFinalizedSql);
            command.Parameters.AddWithValue("@before", JobRows.ToDb(before));
            command.Parameters.AddWithValue("@limit", limit);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    // ----- operator actions -----

    public async Task<CancelResult> CancelAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await CancelManyAsync([jobId], now, cancellationToken))[0];

    public Task<IReadOnlyList<CancelResult>> CancelManyAsync(IReadOnlyList<long> jobIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        return WriteAsync<IReadOnlyList<CancelResult>>(transaction =>
        {
            // One writer: nothing moves the jobs between this read and the writes below.
            var (results, flag, cancel) = BulkChanges.Cancel(jobIds, ReadJobsForBulk(transaction, jobIds));
            if (flag.Count > 0)
                ExecuteForIds(transaction, "UPDATE pacer_jobs SET cancel_requested = 1 WHERE state = 'running' AND id IN (SELECT value FROM json_each(@ids))", flag);
            if (cancel.Count > 0)
                ExecuteForIds(transaction, $"UPDATE pacer_jobs SET state = 'cancelled', finalized_at = @now, {ClearLease}, {ClearWait} WHERE id IN (SELECT value FROM json_each(@ids))", cancel, now);
            return [.. results.Select(result => result ?? CancelResult.NotFound)];
        }, cancellationToken);
    }

    public async Task<RetryResult> RetryAsync(long jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await RetryManyAsync([jobId], now, cancellationToken))[0];

    public Task<IReadOnlyList<RetryResult>> RetryManyAsync(IReadOnlyList<long> jobIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        return WriteAsync<IReadOnlyList<RetryResult>>(transaction =>
        {
            var jobs = ReadJobsForBulk(transaction, jobIds);
            var (results, revive, _) = BulkChanges.Retry(jobIds, jobs, UnfinishedHolders(transaction, BulkChanges.KeysToCheck(jobs)));
            // Not OR IGNORE: the holders were read in this transaction, so a conflict here would be a wrong decision.
            if (revive.Count > 0)
                ExecuteForIds(transaction,
                    "UPDATE pacer_jobs SET state = 'available', scheduled_at = @now, finalized_at = NULL, " +
                    $"max_attempts = max(max_attempts, attempt + 1), {ClearLease} WHERE id IN (SELECT value FROM json_each(@ids))",
                    revive, now);
            return [.. results.Select(result => result ?? RetryResult.NotFound)];
        }, cancellationToken);
    }

    private static Dictionary<long, BulkChanges.Job> ReadJobsForBulk(SqliteTransaction transaction, IReadOnlyList<long> jobIds)
    {
        using var command = Command(transaction, "SELECT id, state, unique_key, queue FROM pacer_jobs WHERE id IN (SELECT value FROM json_each(@ids))");
        command.Parameters.AddWithValue("@ids", JsonIds(jobIds));
        using var reader = command.ExecuteReader();
        var jobs = new Dictionary<long, BulkChanges.Job>();
        while (reader.Read())
            jobs[reader.GetInt64(0)] = new BulkChanges.Job(JobStates.ParseWire(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3));
        return jobs;
    }

    private static Dictionary<string, HashSet<long>> UnfinishedHolders(SqliteTransaction transaction, string[] keys)
    {
        var holders = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        if (keys.Length == 0)
            return holders;
        using var command = Command(transaction,
            "SELECT unique_key, id FROM pacer_jobs WHERE unique_key IN (SELECT value FROM json_each(@keys)) " +
            "AND state <> 'completed' AND state <> 'cancelled' AND state <> 'discarded'");
        command.Parameters.AddWithValue("@keys", System.Text.Json.JsonSerializer.Serialize(keys, StoreJson.Default.StringArray));
        using var reader = command.ExecuteReader();
        while (reader.Read())
            BulkChanges.AddHolder(holders, reader.GetString(0), reader.GetInt64(1));
        return holders;
    }

    private static void ExecuteForIds(SqliteTransaction transaction, string sql, List<long> ids, DateTimeOffset? now = null)
    {
        using var command = Command(transaction, sql);
        command.Parameters.AddWithValue("@ids", JsonIds(ids));
        if (now is { } at)
            command.Parameters.AddWithValue("@now", JobRows.ToDb(at));
        command.ExecuteNonQuery();
    }

    // ----- queries -----

    public Task<JobRecord?> GetAsync(long jobId, CancellationToken cancellationToken) => ReadAsync(connection =>
    {
        using var command = Command(connection, null, $"SELECT {JobRows.Columns} FROM pacer_jobs WHERE id = @id");
        command.Parameters.AddWithValue("@id", jobId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? JobRows.Read(reader) : null;
    }, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit, nameof(query));
        return ReadAsync<IReadOnlyList<JobRecord>>(connection =>
        {
            using var command = ListCommand(connection, query, JobRows.Columns);
            return ReadJobs(command);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<long>> ListIdsAsync(JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit, nameof(query));
        return ReadAsync<IReadOnlyList<long>>(connection =>
        {
            using var command = ListCommand(connection, query, "id");
            using var reader = command.ExecuteReader();
            var ids = new List<long>();
            while (reader.Read())
                ids.Add(reader.GetInt64(0));
            return ids;
        }, cancellationToken);
    }

    private static SqliteCommand ListCommand(SqliteConnection connection, JobQuery query, string columns)
    {
        var command = Command(connection, null, ListSql(query, columns));
        if (query.Queue is not null)
            command.Parameters.AddWithValue("@queue", query.Queue);
        if (query.Kind is not null)
            command.Parameters.AddWithValue("@kind", query.Kind);
        if (query.Tag is not null)
            command.Parameters.AddWithValue("@tag", query.Tag);
        if (query.BeforeId is { } before)
            command.Parameters.AddWithValue("@before", before);
        command.Parameters.AddWithValue("@limit", query.Limit);
        return command;
    }

    public Task<StoreStats> GetStatsAsync(DateTimeOffset finalizedSince, CancellationToken cancellationToken) => ReadAsync(connection =>
    {
        // One read transaction, so the counts and the throughput come from the same snapshot.
        using var transaction = connection.BeginTransaction(deferred: true);
        var queues = new SortedDictionary<string, Dictionary<JobState, long>>(StringComparer.Ordinal);
        using (var counts = Command(connection, transaction, "SELECT queue, state, count(*) FROM pacer_jobs GROUP BY queue, state"))
        using (var reader = counts.ExecuteReader())
        {
            while (reader.Read())
            {
                var queue = reader.GetString(0);
                if (!queues.TryGetValue(queue, out var byState))
                {
                    byState = Enum.GetValues<JobState>().ToDictionary(s => s, _ => 0L);
                    queues.Add(queue, byState);
                }
                byState[JobStates.ParseWire(reader.GetString(1))] = reader.GetInt64(2);
            }
        }
        using var finalized = Command(connection, transaction, FinalizedSinceSql);
        finalized.Parameters.AddWithValue("@since", JobRows.ToDb(finalizedSince));
        var since = (long)finalized.ExecuteScalar()!;
        transaction.Commit();
        return new StoreStats([.. queues.Select(q => new QueueStats(q.Key, q.Value))], since);
    }, cancellationToken);

    private static List<JobRecord> ReadJobs(SqliteCommand command)
    {
        var jobs = new List<JobRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            jobs.Add(JobRows.Read(reader));
        return jobs;
    }
}
