using System.Data.Common;

namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    private static EffectRequest Effect(FetchedJob job, string key = "mail:42", DateTimeOffset? now = null) =>
        new(key, job.Job.Id, job.LeaseToken, job.Job.Attempt, now ?? At(1));

    private async Task<FetchedJob> RunningJobAsync(string queue = "default") =>
        await FetchJobAsync(await InsertAsync(NewJob(queue: queue)), queue: queue);

    /// <summary>Inserts a marker job inside the effect's transaction, through the store's own transactional insert.</summary>
    private Func<DbTransaction, CancellationToken, Task<string?>> WriteMarker(string kind, string? result, List<long> inserted) =>
        async (transaction, ct) =>
        {
            var ids = await Store.InsertManyAsync(new InsertManyRequest([NewJob(kind: kind, queue: "markers")], At(1)), transaction, ct);
            inserted.Add(ids[0].Id);
            return result;
        };

    [Fact]
    public async Task BeginEffectAsync_NoRecord_RecordsStarted()
    {
        var job = await RunningJobAsync();

        var begin = await Store.BeginEffectAsync(Effect(job), Ct);

        Assert.Equal(EffectBeginOutcome.Started, begin.Outcome);
        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.NotNull(record);
        Assert.Equal(EffectState.Started, record.State);
        Assert.Equal(job.Job.Id, record.JobId);
        Assert.Equal(1, record.Attempt);
        Assert.Equal(At(1), record.StartedAt);
        Assert.Null(record.DoneAt);
        Assert.Null(record.ResultJson);
    }

    [Fact]
    public async Task BeginEffectAsync_LeaseLost_RecordsNothing()
    {
        var job = await RunningJobAsync();

        var begin = await Store.BeginEffectAsync(Effect(job) with { LeaseToken = job.LeaseToken + 1 }, Ct);

        Assert.Equal(EffectBeginOutcome.LeaseLost, begin.Outcome);
        Assert.Null(await Store.GetEffectAsync("mail:42", Ct));
    }

    [Fact]
    public async Task BeginEffectAsync_JobFinished_LeaseLost()
    {
        var job = await RunningJobAsync();
        Assert.True(await CompleteAsync(new JobCompletion(job.Job.Id, job.LeaseToken, CompletionKind.Completed, At(1))));

        var begin = await Store.BeginEffectAsync(Effect(job), Ct);

        Assert.Equal(EffectBeginOutcome.LeaseLost, begin.Outcome);
    }

    [Fact]
    public async Task BeginEffectAsync_DoneRecord_AlreadyDoneEvenWithoutTheLease()
    {
        var first = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(first), Ct);
        Assert.True(await Store.CompleteEffectAsync(Effect(first, now: At(2)), """{"messageId":7}""", Ct));
        var other = await RunningJobAsync(queue: "other");

        var sameJobStale = await Store.BeginEffectAsync(Effect(first) with { LeaseToken = first.LeaseToken + 1 }, Ct);
        var otherJob = await Store.BeginEffectAsync(Effect(other), Ct);

        foreach (var begin in new[] { sameJobStale, otherJob })
        {
            Assert.Equal(EffectBeginOutcome.AlreadyDone, begin.Outcome);
            Assert.NotNull(begin.Existing);
            Assert.Equal(EffectState.Done, begin.Existing.State);
            Assert.Equal("""{"messageId":7}""", begin.Existing.ResultJson);
            Assert.Equal(first.Job.Id, begin.Existing.JobId);
            Assert.Equal(At(2), begin.Existing.DoneAt);
        }
    }

    [Fact]
    public async Task BeginEffectAsync_StartedNeverDone_InDoubt()
    {
        var id = await InsertAsync(NewJob());
        var crashed = await FetchJobAsync(id);
        await Store.BeginEffectAsync(Effect(crashed), Ct);
        await Store.RescueExpiredAsync(new RescueRequest(At(31), 10), Ct);
        var next = await FetchJobAsync(id, now: At(31));

        var begin = await Store.BeginEffectAsync(Effect(next, now: At(32)), Ct);

        Assert.Equal(EffectBeginOutcome.InDoubt, begin.Outcome);
        Assert.NotNull(begin.Existing);
        Assert.Equal(EffectState.Started, begin.Existing.State);
        Assert.Equal(1, begin.Existing.Attempt);
        Assert.Equal(At(1), begin.Existing.StartedAt);
    }

    [Fact]
    public async Task BeginEffectAsync_InDoubtWithTakeOver_StartedUnderTheNewAttempt()
    {
        var id = await InsertAsync(NewJob());
        var crashed = await FetchJobAsync(id);
        await Store.BeginEffectAsync(Effect(crashed), Ct);
        await Store.RescueExpiredAsync(new RescueRequest(At(31), 10), Ct);
        var next = await FetchJobAsync(id, now: At(31));

        var begin = await Store.BeginEffectAsync(Effect(next, now: At(32)) with { TakeOverInDoubt = true }, Ct);

        Assert.Equal(EffectBeginOutcome.Started, begin.Outcome);
        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.NotNull(record);
        Assert.Equal(EffectState.Started, record.State);
        Assert.Equal(2, record.Attempt);
        Assert.Equal(At(32), record.StartedAt);
    }

    [Fact]
    public async Task BeginEffectAsync_TakeOverWithoutTheLease_LeaseLost()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);

        var begin = await Store.BeginEffectAsync(Effect(job, now: At(5)) with { LeaseToken = job.LeaseToken + 1, TakeOverInDoubt = true }, Ct);

        Assert.Equal(EffectBeginOutcome.LeaseLost, begin.Outcome);
        Assert.Equal(At(1), (await Store.GetEffectAsync("mail:42", Ct))!.StartedAt);
    }

    [Fact]
    public async Task CompleteEffectAsync_HeldLease_RecordsDoneWithResult()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);

        Assert.True(await Store.CompleteEffectAsync(Effect(job, now: At(3)), """{"ok":true}""", Ct));

        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.NotNull(record);
        Assert.Equal(EffectState.Done, record.State);
        Assert.Equal("""{"ok":true}""", record.ResultJson);
        Assert.Equal(At(3), record.DoneAt);
        Assert.Equal(At(1), record.StartedAt);
    }

    [Fact]
    public async Task CompleteEffectAsync_NullResult_RecordsDone()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);

        Assert.True(await Store.CompleteEffectAsync(Effect(job, now: At(3)), null, Ct));

        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.Equal(EffectState.Done, record!.State);
        Assert.Null(record.ResultJson);
    }

    [Fact]
    public async Task CompleteEffectAsync_LeaseLost_ReturnsFalseAndLeavesItStarted()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);

        Assert.False(await Store.CompleteEffectAsync(Effect(job, now: At(3)) with { LeaseToken = job.LeaseToken + 1 }, "{}", Ct));

        Assert.Equal(EffectState.Started, (await Store.GetEffectAsync("mail:42", Ct))!.State);
    }

    [Fact]
    public async Task ForgetEffectAsync_OwnStartedRecord_IsDeleted_SoTheKeyStartsAgain()
    {
        var id = await InsertAsync(NewJob());
        var first = await FetchJobAsync(id);
        await Store.BeginEffectAsync(Effect(first), Ct);

        Assert.True(await Store.ForgetEffectAsync(Effect(first, now: At(2)), Ct));

        Assert.Null(await Store.GetEffectAsync("mail:42", Ct));
        Assert.Equal(EffectBeginOutcome.Started, (await Store.BeginEffectAsync(Effect(first, now: At(3)), Ct)).Outcome);
    }

    [Fact]
    public async Task ForgetEffectAsync_LeaseLost_ReturnsFalseAndLeavesItStarted()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);

        Assert.False(await Store.ForgetEffectAsync(Effect(job, now: At(2)) with { LeaseToken = job.LeaseToken + 1 }, Ct));

        Assert.Equal(EffectState.Started, (await Store.GetEffectAsync("mail:42", Ct))!.State);
    }

    [Fact]
    public async Task ForgetEffectAsync_NeverDeletesADoneRecord_OrAnotherAttemptsStart()
    {
        var done = await RunningJobAsync(queue: "done");
        await Store.BeginEffectAsync(Effect(done, key: "done:1"), Ct);
        Assert.True(await Store.CompleteEffectAsync(Effect(done, key: "done:1", now: At(2)), "7", Ct));
        Assert.True(await Store.ForgetEffectAsync(Effect(done, key: "done:1", now: At(3)), Ct));
        // An earlier attempt's start, in doubt: only a reconciler may settle it, not a later attempt's failure.
        var id = await InsertAsync(NewJob());
        var crashed = await FetchJobAsync(id);
        await Store.BeginEffectAsync(Effect(crashed), Ct);
        await Store.RescueExpiredAsync(new RescueRequest(At(31), 10), Ct);
        var next = await FetchJobAsync(id, now: At(31));

        Assert.True(await Store.ForgetEffectAsync(Effect(next, now: At(32)), Ct));

        Assert.Equal(("7", EffectState.Done), ((await Store.GetEffectAsync("done:1", Ct))!.ResultJson, (await Store.GetEffectAsync("done:1", Ct))!.State));
        var inDoubt = await Store.GetEffectAsync("mail:42", Ct);
        Assert.Equal((EffectState.Started, 1), (inDoubt!.State, inDoubt.Attempt));
    }

    [Fact]
    public async Task CompleteEffectAsync_AlreadyDone_KeepsTheFirstResult()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);
        Assert.True(await Store.CompleteEffectAsync(Effect(job, now: At(3)), "\"first\"", Ct));

        Assert.True(await Store.CompleteEffectAsync(Effect(job, now: At(4)), "\"second\"", Ct));

        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.Equal("\"first\"", record!.ResultJson);
        Assert.Equal(At(3), record.DoneAt);
    }

    [Fact]
    public async Task CompleteEffectAsync_WithExpiry_IsKeptUntilThen_ThenDeleted()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job, "run:1:plan"), Ct);
        Assert.True(await Store.CompleteEffectAsync(Effect(job, "run:1:plan", At(3)) with { ExpiresAt = At(100) }, "{}", Ct));
        await Store.BeginEffectAsync(Effect(job, "mail:42"), Ct);
        Assert.True(await Store.CompleteEffectAsync(Effect(job, "mail:42", At(3)), "{}", Ct));

        Assert.Equal(At(100), (await Store.GetEffectAsync("run:1:plan", Ct))!.ExpiresAt);
        Assert.Null((await Store.GetEffectAsync("mail:42", Ct))!.ExpiresAt);
        Assert.Equal(0, await Store.DeleteExpiredEffectsAsync(At(99), 100, Ct));
        Assert.NotNull(await Store.GetEffectAsync("run:1:plan", Ct));

        Assert.Equal(1, await Store.DeleteExpiredEffectsAsync(At(100), 100, Ct));
        Assert.Null(await Store.GetEffectAsync("run:1:plan", Ct));
        // Kept for good: no expiry, however late it is.
        Assert.Equal(0, await Store.DeleteExpiredEffectsAsync(At(1_000_000), 100, Ct));
        Assert.NotNull(await Store.GetEffectAsync("mail:42", Ct));
    }

    [Fact]
    public async Task DeleteExpiredEffectsAsync_StopsAtTheLimit_AndLeavesRecordsInDoubt()
    {
        var job = await RunningJobAsync();
        for (var i = 0; i < 3; i++)
        {
            await Store.BeginEffectAsync(Effect(job, $"day:{i}"), Ct);
            Assert.True(await Store.CompleteEffectAsync(Effect(job, $"day:{i}", At(3)) with { ExpiresAt = At(10 + i) }, "{}", Ct));
        }
        // Started and never done: in doubt, whatever the request said about expiry.
        await Store.BeginEffectAsync(Effect(job, "upload:7") with { ExpiresAt = At(10) }, Ct);

        Assert.Equal(2, await Store.DeleteExpiredEffectsAsync(At(50), 2, Ct));
        Assert.Equal(1, await Store.DeleteExpiredEffectsAsync(At(50), 2, Ct));
        Assert.Equal(0, await Store.DeleteExpiredEffectsAsync(At(50), 0, Ct));
        Assert.Null(await Store.GetEffectAsync("day:0", Ct));
        Assert.Null(await Store.GetEffectAsync("day:2", Ct));
        Assert.Equal(EffectState.Started, (await Store.GetEffectAsync("upload:7", Ct))!.State);
    }

    [Fact]
    public async Task RunEffectInTransactionAsync_WithExpiry_RecordsIt()
    {
        var job = await RunningJobAsync();

        await Store.RunEffectInTransactionAsync(Effect(job) with { ExpiresAt = At(60) }, WriteMarker("marker", "\"written\"", []), Ct);

        Assert.Equal(At(60), (await Store.GetEffectAsync("mail:42", Ct))!.ExpiresAt);
        Assert.Equal(1, await Store.DeleteExpiredEffectsAsync(At(60), 10, Ct));
    }

    [Fact]
    public async Task GetEffectAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Store.GetEffectAsync("never", Ct));
    }

    [Fact]
    public async Task RunEffectInTransactionAsync_BodySucceeds_CommitsWriteAndRecordTogether()
    {
        var job = await RunningJobAsync();
        var inserted = new List<long>();

        var result = await Store.RunEffectInTransactionAsync(Effect(job), WriteMarker("marker", "\"written\"", inserted), Ct);

        Assert.Equal(new EffectTransactionResult(EffectTransactionOutcome.Done, "\"written\""), result);
        Assert.Equal("marker", (await GetAsync(Assert.Single(inserted))).Kind);
        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.Equal(EffectState.Done, record!.State);
        Assert.Equal("\"written\"", record.ResultJson);
        Assert.Equal(job.Job.Id, record.JobId);
    }

    [Fact]
    public async Task RunEffectInTransactionAsync_BodyThrows_RollsBackWriteAndRecordAndRethrows()
    {
        var job = await RunningJobAsync();
        var inserted = new List<long>();
        var write = WriteMarker("marker", "\"written\"", inserted);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.RunEffectInTransactionAsync(
            Effect(job),
            async (transaction, ct) =>
            {
                await write(transaction, ct);
                throw new InvalidOperationException("body failed");
            },
            Ct));

        Assert.Equal("body failed", thrown.Message);
        Assert.Null(await Store.GetAsync(Assert.Single(inserted), Ct));
        Assert.Null(await Store.GetEffectAsync("mail:42", Ct));
        // The store is still usable after the rollback.
        Assert.True(await CompleteAsync(new JobCompletion(job.Job.Id, job.LeaseToken, CompletionKind.Completed, At(2))));
    }

    [Fact]
    public async Task RunEffectInTransactionAsync_AlreadyDone_ReturnsStoredResultWithoutCallingBody()
    {
        var first = await RunningJobAsync();
        await Store.RunEffectInTransactionAsync(Effect(first), WriteMarker("marker", "\"first\"", []), Ct);
        var second = await RunningJobAsync(queue: "other");
        var called = false;

        var result = await Store.RunEffectInTransactionAsync(Effect(second), (_, _) =>
        {
            called = true;
            return Task.FromResult<string?>("\"second\"");
        }, Ct);

        Assert.False(called);
        Assert.Equal(new EffectTransactionResult(EffectTransactionOutcome.AlreadyDone, "\"first\""), result);
    }

    [Fact]
    public async Task RunEffectInTransactionAsync_LeaseLost_DoesNotCallBody()
    {
        var job = await RunningJobAsync();
        var called = false;

        var result = await Store.RunEffectInTransactionAsync(Effect(job) with { LeaseToken = job.LeaseToken + 1 }, (_, _) =>
        {
            called = true;
            return Task.FromResult<string?>(null);
        }, Ct);

        Assert.False(called);
        Assert.Equal(EffectTransactionOutcome.LeaseLost, result.Outcome);
        Assert.Null(await Store.GetEffectAsync("mail:42", Ct));
    }

    [Fact]
    public async Task RunEffectInTransactionAsync_AfterInDoubtRecord_RecordsDone()
    {
        var job = await RunningJobAsync();
        await Store.BeginEffectAsync(Effect(job), Ct);

        var result = await Store.RunEffectInTransactionAsync(Effect(job, now: At(4)), WriteMarker("marker", "1", []), Ct);

        Assert.Equal(EffectTransactionOutcome.Done, result.Outcome);
        var record = await Store.GetEffectAsync("mail:42", Ct);
        Assert.Equal(EffectState.Done, record!.State);
        Assert.Equal("1", record.ResultJson);
    }
}
