using System.Data.Common;
using Microsoft.Data.Sqlite;
using Pacer.Storage;

namespace Pacer.Sqlite;

internal sealed partial class SqliteJobStore
{
    private const string RecordDoneSql =
        "INSERT INTO pacer_effects (key, job_id, state, attempt, result, started_at, done_at, expires_at) " +
        "VALUES (@key, @job_id, 'done', @attempt, @result, @now, @now, @expires_at) " +
        // A record already done keeps its first result: that is the one every later attempt must see.
        "ON CONFLICT (key) DO UPDATE SET state = 'done', job_id = excluded.job_id, attempt = excluded.attempt, " +
        "result = excluded.result, done_at = excluded.done_at, expires_at = excluded.expires_at WHERE pacer_effects.state = 'started'";

    // The inner SELECT walks the expiry index in order; the outer DELETE finds each row by its key.
    private const string DeleteExpiredEffectsSql =
        "DELETE FROM pacer_effects WHERE key IN (SELECT key FROM pacer_effects " +
        "WHERE expires_at IS NOT NULL AND expires_at <= @now AND state = 'done' ORDER BY expires_at LIMIT @limit)";

    // Every slot older than the cut-off but its schedule's latest, which the next slot is reckoned from.
    private const string TrimRecurringSlotsSql =
        "DELETE FROM pacer_recurring WHERE (name, slot) IN (SELECT r.name, r.slot FROM pacer_recurring r " +
        "WHERE r.slot < @before AND r.slot < (SELECT max(m.slot) FROM pacer_recurring m WHERE m.name = r.name) LIMIT @limit)";

    // ----- effects ledger -----

    public Task<EffectBeginResult> BeginEffectAsync(EffectRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        return WriteAsync(transaction =>
        {
            var existing = ReadEffect(transaction.Connection!, transaction, request.Key);
            // A done effect is a fact whoever asks: returning it cannot make anything happen twice.
            if (existing is { State: EffectState.Done })
                return new EffectBeginResult(EffectBeginOutcome.AlreadyDone, existing);
            if (!HoldsLease(transaction, request.JobId, request.LeaseToken))
                return new EffectBeginResult(EffectBeginOutcome.LeaseLost, existing);
            if (existing is null)
            {
                using var insert = Command(transaction,
                    "INSERT INTO pacer_effects (key, job_id, state, attempt, result, started_at, done_at) VALUES (@key, @job_id, 'started', @attempt, NULL, @now, NULL)");
                AddEffectParameters(insert, request);
                insert.ExecuteNonQuery();
                return new EffectBeginResult(EffectBeginOutcome.Started, null);
            }
            if (!request.TakeOverInDoubt)
                return new EffectBeginResult(EffectBeginOutcome.InDoubt, existing);
            using var takeOver = Command(transaction,
                "UPDATE pacer_effects SET job_id = @job_id, attempt = @attempt, started_at = @now WHERE key = @key AND state = 'started'");
            AddEffectParameters(takeOver, request);
            takeOver.ExecuteNonQuery();
            return new EffectBeginResult(EffectBeginOutcome.Started, null);
        }, cancellationToken);
    }

    public Task<bool> CompleteEffectAsync(EffectRequest request, string? resultJson, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        return WriteAsync(transaction =>
        {
            if (!HoldsLease(transaction, request.JobId, request.LeaseToken))
                return false;
            RecordDone(transaction, request, resultJson);
            return true;
        }, cancellationToken);
    }

    public Task<bool> ForgetEffectAsync(EffectRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        return WriteAsync(transaction =>
        {
            if (!HoldsLease(transaction, request.JobId, request.LeaseToken))
                return false;
            using var delete = Command(transaction,
                "DELETE FROM pacer_effects WHERE key = @key AND state = 'started' AND job_id = @job_id AND attempt = @attempt");
            AddEffectParameters(delete, request);
            delete.ExecuteNonQuery();
            return true;
        }, cancellationToken);
    }

    public async Task<EffectTransactionResult> RunEffectInTransactionAsync(
        EffectRequest request,
        Func<DbTransaction, CancellationToken, Task<string?>> body,
        CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        ArgumentNullException.ThrowIfNull(body);
        ThrowIfDisposed();
        await _writeLock.WaitAsync(cancellationToken);
        var inBody = false;
        try
        {
            ThrowIfDisposed();
            using var transaction = _writer.BeginTransaction(deferred: false);
            if (!HoldsLease(transaction, request.JobId, request.LeaseToken))
            {
                transaction.Rollback();
                return new EffectTransactionResult(EffectTransactionOutcome.LeaseLost, null);
            }
            if (ReadEffect(_writer, transaction, request.Key) is { State: EffectState.Done } done)
            {
                transaction.Rollback();
                return new EffectTransactionResult(EffectTransactionOutcome.AlreadyDone, done.ResultJson);
            }
            // The body's exceptions propagate as they are; disposing the transaction rolls its writes back.
            inBody = true;
            var result = await body(transaction, cancellationToken);
            inBody = false;
            RecordDone(transaction, request, result);
            transaction.Commit();
            return new EffectTransactionResult(EffectTransactionOutcome.Done, result);
        }
        catch (SqliteException ex) when (!inBody && Translate(ex) is { } clear)
        {
            throw clear;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<EffectRecord?> GetEffectAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return ReadAsync(connection => ReadEffect(connection, null, key), cancellationToken);
    }

    private static bool HoldsLease(SqliteTransaction transaction, long jobId, long leaseToken)
    {
        using var command = Command(transaction, "SELECT 1 FROM pacer_jobs WHERE id = @id AND state = 'running' AND lease_token = @token");
        command.Parameters.AddWithValue("@id", jobId);
        command.Parameters.AddWithValue("@token", leaseToken);
        return command.ExecuteScalar() is not null;
    }

    private static EffectRecord? ReadEffect(SqliteConnection connection, SqliteTransaction? transaction, string key)
    {
        using var command = Command(connection, transaction, $"SELECT {JobRows.EffectColumns} FROM pacer_effects WHERE key = @key");
        command.Parameters.AddWithValue("@key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? JobRows.ReadEffect(reader, 0) : null;
    }

    private static void RecordDone(SqliteTransaction transaction, EffectRequest request, string? resultJson)
    {
        using var command = Command(transaction, RecordDoneSql);
        AddEffectParameters(command, request);
        command.Parameters.AddWithValue("@result", JobRows.ToDb(resultJson));
        command.Parameters.AddWithValue("@expires_at", request.ExpiresAt is { } expires ? JobRows.ToDb(expires) : DBNull.Value);
        command.ExecuteNonQuery();
    }

    public Task<int> DeleteExpiredEffectsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        DeleteUpToAsync(DeleteExpiredEffectsSql, "@now", now, limit, cancellationToken);

    public Task<int> TrimRecurringSlotsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        DeleteUpToAsync(TrimRecurringSlotsSql, "@before", before, limit, cancellationToken);

    private Task<int> DeleteUpToAsync(string sql, string timeParameter, DateTimeOffset time, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult(0);
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction, sql);
            command.Parameters.AddWithValue(timeParameter, JobRows.ToDb(time));
            command.Parameters.AddWithValue("@limit", limit);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    private static void AddEffectParameters(SqliteCommand command, EffectRequest request)
    {
        command.Parameters.AddWithValue("@key", request.Key);
        command.Parameters.AddWithValue("@job_id", request.JobId);
        command.Parameters.AddWithValue("@attempt", request.Attempt);
        command.Parameters.AddWithValue("@now", JobRows.ToDb(request.Now));
    }

    // ----- recurring jobs -----

    public Task<InsertResult?> InsertRecurringAsync(RecurringInsert request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name, nameof(request));
        StoreRequestChecks.Insert(new InsertManyRequest([request.Job], request.Now));
        return WriteAsync(transaction =>
        {
            var job = InsertJobs(transaction, new InsertManyRequest([request.Job], request.Now))[0];
            using var slot = Command(transaction, "INSERT INTO pacer_recurring (name, slot, job_id) VALUES (@name, @slot, @job_id) ON CONFLICT DO NOTHING");
            slot.Parameters.AddWithValue("@name", request.Name);
            slot.Parameters.AddWithValue("@slot", JobRows.ToDb(request.Slot));
            slot.Parameters.AddWithValue("@job_id", job.Id);
            if (slot.ExecuteNonQuery() == 1)
                return job;
            // The slot was enqueued before (by this or another process): undo the job with it.
            transaction.Rollback();
            return (InsertResult?)null;
        }, cancellationToken);
    }

    public Task<DateTimeOffset?> GetLastRecurringSlotAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ReadAsync(connection =>
        {
            using var command = Command(connection, null, "SELECT max(slot) FROM pacer_recurring WHERE name = @name");
            command.Parameters.AddWithValue("@name", name);
            return command.ExecuteScalar() is long slot ? JobRows.FromDb(slot) : (DateTimeOffset?)null;
        }, cancellationToken);
    }

    // ----- stored schedules -----

    public Task UpsertScheduleAsync(StoredSchedule schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentException.ThrowIfNullOrEmpty(schedule.Name, nameof(schedule));
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction,
                "INSERT OR REPLACE INTO pacer_schedules (name, cron, time_zone, kind, args, options, updated_at) " +
                "VALUES (@name, @cron, @time_zone, @kind, @args, @options, @updated_at)");
            command.Parameters.AddWithValue("@name", schedule.Name);
            command.Parameters.AddWithValue("@cron", schedule.Cron);
            command.Parameters.AddWithValue("@time_zone", schedule.TimeZone);
            command.Parameters.AddWithValue("@kind", schedule.Kind);
            command.Parameters.AddWithValue("@args", schedule.Args);
            command.Parameters.AddWithValue("@options", JobRows.ToDb(schedule.Options));
            command.Parameters.AddWithValue("@updated_at", JobRows.ToDb(schedule.UpdatedAt));
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction, "DELETE FROM pacer_schedules WHERE name = @name");
            command.Parameters.AddWithValue("@name", name);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<StoredSchedule>> ListSchedulesAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<StoredSchedule>>(connection =>
    {
        using var command = Command(connection, null, "SELECT name, cron, time_zone, kind, args, options, updated_at FROM pacer_schedules ORDER BY name");
        using var reader = command.ExecuteReader();
        var schedules = new List<StoredSchedule>();
        while (reader.Read())
        {
            schedules.Add(new StoredSchedule(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), JobRows.FromDb(reader.GetInt64(6))));
        }
        return schedules;
    }, cancellationToken);

    // ----- leader lease -----

    public Task<bool> TryAcquireLeaderAsync(LeaderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name, nameof(request));
        ArgumentException.ThrowIfNullOrEmpty(request.Owner, nameof(request));
        if (request.Ttl <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(request), request.Ttl, "LeaderRequest.Ttl must be positive.");
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction,
                "INSERT INTO pacer_leaders (name, owner, expires_at) VALUES (@name, @owner, @expires_at) " +
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at " +
                "WHERE pacer_leaders.owner = excluded.owner OR pacer_leaders.expires_at <= @now");
            command.Parameters.AddWithValue("@name", request.Name);
            command.Parameters.AddWithValue("@owner", request.Owner);
            command.Parameters.AddWithValue("@now", JobRows.ToDb(request.Now));
            command.Parameters.AddWithValue("@expires_at", JobRows.ToDb(request.Now + request.Ttl));
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    public Task ReleaseLeaderAsync(string name, string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return WriteAsync(transaction =>
        {
            using var command = Command(transaction, "DELETE FROM pacer_leaders WHERE name = @name AND owner = @owner");
            command.Parameters.AddWithValue("@name", name);
            command.Parameters.AddWithValue("@owner", owner);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }
}
