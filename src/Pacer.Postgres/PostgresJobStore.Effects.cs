using System.Data.Common;
using Npgsql;
using Pacer.Storage;
using static Pacer.Postgres.PostgresRows;

namespace Pacer.Postgres;

internal sealed partial class PostgresJobStore
{
    // FOR SHARE: while the effect is being recorded, the job cannot be rescued, completed or re-fetched (the rescuer
    // skips the row; a completion waits for this transaction), so the lease that fences the record stays true.
    private const string HoldsLeaseSql = "SELECT 1 FROM {s}.pacer_jobs WHERE id = @id AND state = 'running' AND lease_token = @token FOR SHARE";

    private const string ReadEffectSql = $"SELECT {EffectColumns} FROM {{s}}.pacer_effects WHERE key = @key FOR UPDATE";

    private const string RecordDoneSql =
        "INSERT INTO {s}.pacer_effects AS e (key, job_id, state, attempt, result, started_at, done_at, expires_at) " +
        "VALUES (@key, @job_id, 'done', @attempt, @result, @now, @now, @expires_at) " +
        // A record already done keeps its first result: that is the one every later attempt must see.
        "ON CONFLICT (key) DO UPDATE SET state = 'done', job_id = excluded.job_id, attempt = excluded.attempt, " +
        "result = excluded.result, done_at = excluded.done_at, expires_at = excluded.expires_at WHERE e.state = 'started'";

    // SKIP LOCKED: a record another transaction holds (being read FOR UPDATE by a job) is left for the next pass.
    private const string DeleteExpiredEffectsSql =
        "WITH picked AS MATERIALIZED (SELECT key AS picked_key FROM {s}.pacer_effects " +
        "WHERE expires_at IS NOT NULL AND expires_at <= @now AND state = 'done' ORDER BY expires_at LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        "DELETE FROM {s}.pacer_effects USING picked WHERE key = picked_key";

    // Every slot older than the cut-off but its schedule's latest, which the next slot is reckoned from.
    private const string TrimRecurringSlotsSql =
        "WITH picked AS MATERIALIZED (SELECT r.name AS picked_name, r.slot AS picked_slot FROM {s}.pacer_recurring r " +
        "WHERE r.slot < @before AND r.slot < (SELECT max(m.slot) FROM {s}.pacer_recurring m WHERE m.name = r.name) " +
        "LIMIT @limit FOR UPDATE SKIP LOCKED) " +
        "DELETE FROM {s}.pacer_recurring USING picked WHERE name = picked_name AND slot = picked_slot";

    // ----- effects ledger -----

    public Task<EffectBeginResult> BeginEffectAsync(EffectRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        return InTransactionAsync(async (connection, transaction) =>
        {
            // Two tries at most: a first record inserted by another transaction between our read and our insert is read again.
            for (var attempt = 0; ; attempt++)
            {
                var (holds, existing) = await ReadLeaseAndEffectAsync(connection, transaction, request, cancellationToken);
                // A done effect is a fact whoever asks: returning it cannot make anything happen twice.
                if (existing is { State: EffectState.Done })
                    return new EffectBeginResult(EffectBeginOutcome.AlreadyDone, existing);
                if (!holds)
                    return new EffectBeginResult(EffectBeginOutcome.LeaseLost, existing);
                if (existing is null)
                {
                    await using var insert = Command(connection, transaction, Sql(
                        "INSERT INTO {s}.pacer_effects (key, job_id, state, attempt, result, started_at, done_at) " +
                        "VALUES (@key, @job_id, 'started', @attempt, NULL, @now, NULL) ON CONFLICT (key) DO NOTHING"));
                    AddEffectParameters(insert.Parameters, request);
                    if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
                        return new EffectBeginResult(EffectBeginOutcome.Started, null);
                    if (attempt > 0)
                        throw new InvalidOperationException($"The effect record '{request.Key}' appeared and vanished while it was being started; try again.");
                    continue;
                }
                if (!request.TakeOverInDoubt)
                    return new EffectBeginResult(EffectBeginOutcome.InDoubt, existing);
                await using var takeOver = Command(connection, transaction, Sql(
                    "UPDATE {s}.pacer_effects SET job_id = @job_id, attempt = @attempt, started_at = @now WHERE key = @key AND state = 'started'"));
                AddEffectParameters(takeOver.Parameters, request);
                await takeOver.ExecuteNonQueryAsync(cancellationToken);
                return new EffectBeginResult(EffectBeginOutcome.Started, null);
            }
        }, cancellationToken);
    }

    public Task<bool> CompleteEffectAsync(EffectRequest request, string? resultJson, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        return InTransactionAsync(async (connection, transaction) =>
        {
            if (!await HoldsLeaseAsync(connection, transaction, request, cancellationToken))
                return false;
            await RecordDoneAsync(connection, transaction, request, resultJson, cancellationToken);
            return true;
        }, cancellationToken);
    }

    public Task<bool> ForgetEffectAsync(EffectRequest request, CancellationToken cancellationToken)
    {
        StoreRequestChecks.Effect(request);
        return InTransactionAsync(async (connection, transaction) =>
        {
            if (!await HoldsLeaseAsync(connection, transaction, request, cancellationToken))
                return false;
            await using var delete = Command(connection, transaction, Sql(
                "DELETE FROM {s}.pacer_effects WHERE key = @key AND state = 'started' AND job_id = @job_id AND attempt = @attempt"));
            AddEffectParameters(delete.Parameters, request);
            await delete.ExecuteNonQueryAsync(cancellationToken);
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
        var inBody = false;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var (holds, existing) = await ReadLeaseAndEffectAsync(connection, transaction, request, cancellationToken);
            if (!holds)
            {
                await transaction.RollbackAsync(cancellationToken);
                return new EffectTransactionResult(EffectTransactionOutcome.LeaseLost, null);
            }
            if (existing is { State: EffectState.Done } done)
            {
                await transaction.RollbackAsync(cancellationToken);
                return new EffectTransactionResult(EffectTransactionOutcome.AlreadyDone, done.ResultJson);
            }
            // The body's exceptions propagate as they are; disposing the transaction rolls its writes back.
            inBody = true;
            var result = await body(transaction, cancellationToken);
            inBody = false;
            await RecordDoneAsync(connection, transaction, request, result, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new EffectTransactionResult(EffectTransactionOutcome.Done, result);
        }
        catch (NpgsqlException ex) when (!inBody && Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    public Task<EffectRecord?> GetEffectAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql($"SELECT {EffectColumns} FROM {{s}}.pacer_effects WHERE key = @key"));
            command.Parameters.Add(Text("key", key));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ReadEffect(reader, 0) : null;
        }, cancellationToken);
    }

    /// <summary>One round trip: the job's lease (share-locked if held) and the effect's record (locked if it exists).</summary>
    private async Task<(bool Holds, EffectRecord? Existing)> ReadLeaseAndEffectAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, EffectRequest request, CancellationToken cancellationToken)
    {
        await using var batch = Batch(connection, transaction);
        batch.BatchCommands.Add(BatchCommand(HoldsLeaseSql, Long("id", request.JobId), Long("token", request.LeaseToken)));
        batch.BatchCommands.Add(BatchCommand(ReadEffectSql, Text("key", request.Key)));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var holds = await reader.ReadAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var existing = await reader.ReadAsync(cancellationToken) ? ReadEffect(reader, 0) : null;
        return (holds, existing);
    }

    private async Task<bool> HoldsLeaseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EffectRequest request, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, Sql(HoldsLeaseSql));
        command.Parameters.Add(Long("id", request.JobId));
        command.Parameters.Add(Long("token", request.LeaseToken));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task RecordDoneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EffectRequest request, string? resultJson, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, Sql(RecordDoneSql));
        AddEffectParameters(command.Parameters, request);
        command.Parameters.Add(Text("result", resultJson));
        command.Parameters.Add(TimeOrNull("expires_at", request.ExpiresAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<int> DeleteExpiredEffectsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        DeleteUpToAsync(DeleteExpiredEffectsSql, Time("now", now), limit, cancellationToken);

    public Task<int> TrimRecurringSlotsAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        DeleteUpToAsync(TrimRecurringSlotsSql, Time("before", before), limit, cancellationToken);

    private Task<int> DeleteUpToAsync(string sql, NpgsqlParameter time, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
            return Task.FromResult(0);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql(sql));
            command.Parameters.Add(time);
            command.Parameters.Add(Int("limit", limit));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    private static void AddEffectParameters(NpgsqlParameterCollection parameters, EffectRequest request)
    {
        parameters.Add(Text("key", request.Key));
        parameters.Add(Long("job_id", request.JobId));
        parameters.Add(Int("attempt", request.Attempt));
        parameters.Add(Time("now", request.Now));
    }

    // ----- recurring jobs -----

    public Task<InsertResult?> InsertRecurringAsync(RecurringInsert request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name, nameof(request));
        StoreRequestChecks.Insert(new InsertManyRequest([request.Job], request.Now));
        return InTransactionAsync(async (connection, transaction) =>
        {
            // The slot first: a second leader waits here for the first to commit, then finds the slot taken and
            // inserts no job at all.
            await using (var slot = Command(connection, transaction, Sql(
                "INSERT INTO {s}.pacer_recurring (name, slot, job_id) VALUES (@name, @slot, 0) ON CONFLICT DO NOTHING")))
            {
                slot.Parameters.Add(Text("name", request.Name));
                slot.Parameters.Add(Time("slot", request.Slot));
                if (await slot.ExecuteNonQueryAsync(cancellationToken) == 0)
                    return (InsertResult?)null;
            }
            var job = (await InsertJobsAsync(connection, transaction, new InsertManyRequest([request.Job], request.Now), cancellationToken))[0];
            await using var record = Command(connection, transaction, Sql("UPDATE {s}.pacer_recurring SET job_id = @job_id WHERE name = @name AND slot = @slot"));
            record.Parameters.Add(Long("job_id", job.Id));
            record.Parameters.Add(Text("name", request.Name));
            record.Parameters.Add(Time("slot", request.Slot));
            await record.ExecuteNonQueryAsync(cancellationToken);
            return job;
        }, cancellationToken);
    }

    public Task<DateTimeOffset?> GetLastRecurringSlotAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql("SELECT max(slot) FROM {s}.pacer_recurring WHERE name = @name"));
            command.Parameters.Add(Text("name", name));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? TimeOrNull(reader, 0) : null;
        }, cancellationToken);
    }

    // ----- stored schedules -----

    public Task UpsertScheduleAsync(StoredSchedule schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentException.ThrowIfNullOrEmpty(schedule.Name, nameof(schedule));
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql(
                "INSERT INTO {s}.pacer_schedules (name, cron, time_zone, kind, args, options, updated_at) " +
                "VALUES (@name, @cron, @time_zone, @kind, @args, @options, @updated_at) " +
                "ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, kind = excluded.kind, " +
                "args = excluded.args, options = excluded.options, updated_at = excluded.updated_at"));
            command.Parameters.Add(Text("name", schedule.Name));
            command.Parameters.Add(Text("cron", schedule.Cron));
            command.Parameters.Add(Text("time_zone", schedule.TimeZone));
            command.Parameters.Add(Text("kind", schedule.Kind));
            command.Parameters.Add(Text("args", schedule.Args));
            command.Parameters.Add(Text("options", schedule.Options));
            command.Parameters.Add(Time("updated_at", schedule.UpdatedAt));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql("DELETE FROM {s}.pacer_schedules WHERE name = @name"));
            command.Parameters.Add(Text("name", name));
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<StoredSchedule>> ListSchedulesAsync(CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyList<StoredSchedule>>(async connection =>
    {
        await using var command = Command(connection, null, Sql(
            "SELECT name, cron, time_zone, kind, args, options, updated_at FROM {s}.pacer_schedules ORDER BY name COLLATE \"C\""));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var schedules = new List<StoredSchedule>();
        while (await reader.ReadAsync(cancellationToken))
        {
            schedules.Add(new StoredSchedule(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), TimeOrNull(reader, 6)!.Value));
        }
        return schedules;
    }, cancellationToken);
}
