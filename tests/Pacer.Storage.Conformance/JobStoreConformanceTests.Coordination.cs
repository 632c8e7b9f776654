namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    // ----- recurring -----

    [Fact]
    public async Task InsertRecurringAsync_SameSlotTwice_InsertsOneJob()
    {
        var slot = At(60);

        var first = await Store.InsertRecurringAsync(new RecurringInsert("digest", slot, NewJob(kind: "digest"), T0), Ct);
        var second = await Store.InsertRecurringAsync(new RecurringInsert("digest", slot, NewJob(kind: "digest"), At(1)), Ct);

        Assert.NotNull(first);
        Assert.False(first.Existing);
        Assert.Null(second);
        var jobs = await Store.ListAsync(new JobQuery { Kind = "digest" }, Ct);
        Assert.Equal([first.Id], jobs.Select(j => j.Id));
    }

    [Fact]
    public async Task InsertRecurringAsync_NextSlotOrOtherSchedule_InsertsAgain()
    {
        var first = await Store.InsertRecurringAsync(new RecurringInsert("digest", At(60), NewJob(), T0), Ct);
        var next = await Store.InsertRecurringAsync(new RecurringInsert("digest", At(120), NewJob(), T0), Ct);
        var other = await Store.InsertRecurringAsync(new RecurringInsert("report", At(60), NewJob(), T0), Ct);

        Assert.NotNull(first);
        Assert.NotNull(next);
        Assert.NotNull(other);
        Assert.Equal(3, new[] { first.Id, next.Id, other.Id }.Distinct().Count());
    }

    [Fact]
    public async Task InsertRecurringAsync_ConcurrentLeaders_InsertTheSlotOnce()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.InsertRecurringAsync(new RecurringInsert("digest", At(60), NewJob(), At(i)), Ct))));

        Assert.Single(attempts, a => a is not null);
        Assert.Single(await Store.ListAsync(new JobQuery(), Ct));
    }

    [Fact]
    public async Task GetLastRecurringSlotAsync_AfterSlots_ReturnsTheLatestPerName()
    {
        Assert.Null(await Store.GetLastRecurringSlotAsync("digest", Ct));
        await Store.InsertRecurringAsync(new RecurringInsert("digest", At(120), NewJob(), T0), Ct);
        await Store.InsertRecurringAsync(new RecurringInsert("digest", At(60), NewJob(), T0), Ct);
        await Store.InsertRecurringAsync(new RecurringInsert("report", At(600), NewJob(), T0), Ct);

        Assert.Equal(At(120), await Store.GetLastRecurringSlotAsync("digest", Ct));
        Assert.Equal(At(600), await Store.GetLastRecurringSlotAsync("report", Ct));
        Assert.Null(await Store.GetLastRecurringSlotAsync("other", Ct));
    }

    [Fact]
    public async Task TrimRecurringSlotsAsync_DeletesOldSlotsButEachSchedulesLatest()
    {
        foreach (var slot in new[] { 60, 120, 180 })
            await Store.InsertRecurringAsync(new RecurringInsert("digest", At(slot), NewJob(), T0), Ct);
        await Store.InsertRecurringAsync(new RecurringInsert("report", At(60), NewJob(), T0), Ct);

        var trimmed = await Store.TrimRecurringSlotsAsync(At(1_000), 100, Ct);

        Assert.Equal(2, trimmed); // digest's 60 and 120; digest's 180 and report's only slot stay
        Assert.Equal(0, await Store.TrimRecurringSlotsAsync(At(1_000), 100, Ct));
        Assert.Equal(At(180), await Store.GetLastRecurringSlotAsync("digest", Ct));
        Assert.Equal(At(60), await Store.GetLastRecurringSlotAsync("report", Ct));
        // The latest slot still guards against a second job for it.
        Assert.Null(await Store.InsertRecurringAsync(new RecurringInsert("digest", At(180), NewJob(), At(1)), Ct));
        Assert.Null(await Store.InsertRecurringAsync(new RecurringInsert("report", At(60), NewJob(), At(1)), Ct));
    }

    [Fact]
    public async Task TrimRecurringSlotsAsync_KeepsSlotsAfterTheCutOff_AndStopsAtTheLimit()
    {
        foreach (var slot in new[] { 60, 120, 180, 240 })
            await Store.InsertRecurringAsync(new RecurringInsert("digest", At(slot), NewJob(), T0), Ct);

        Assert.Equal(0, await Store.TrimRecurringSlotsAsync(At(60), 100, Ct)); // nothing before 60
        Assert.Equal(1, await Store.TrimRecurringSlotsAsync(At(150), 1, Ct));
        Assert.Equal(1, await Store.TrimRecurringSlotsAsync(At(150), 100, Ct)); // the other of 60 and 120; 180 is after the cut-off
        Assert.Equal(0, await Store.TrimRecurringSlotsAsync(At(150), 100, Ct));
        Assert.Equal(0, await Store.TrimRecurringSlotsAsync(At(1_000), 0, Ct));
        Assert.Equal(1, await Store.TrimRecurringSlotsAsync(At(1_000), 100, Ct)); // 180 goes, 240 (the latest) stays
        Assert.Equal(At(240), await Store.GetLastRecurringSlotAsync("digest", Ct));
    }

    // ----- leader lease -----

    private static LeaderRequest Leader(string owner, DateTimeOffset now) => new("maintenance", owner, now, TimeSpan.FromSeconds(5));

    [Fact]
    public async Task TryAcquireLeaderAsync_NoLeader_Acquires()
    {
        Assert.True(await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct));
    }

    [Fact]
    public async Task TryAcquireLeaderAsync_HeldByAnother_IsRefused()
    {
        await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct);

        Assert.False(await Store.TryAcquireLeaderAsync(Leader("b", At(4)), Ct));
        Assert.True(await Store.TryAcquireLeaderAsync(Leader("a", At(4)), Ct));
    }

    [Fact]
    public async Task TryAcquireLeaderAsync_OwnLease_RenewsItsExpiry()
    {
        await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct);

        Assert.True(await Store.TryAcquireLeaderAsync(Leader("a", At(4)), Ct));

        // The first lease would have ended at 5 s; the renewal holds until 9 s.
        Assert.False(await Store.TryAcquireLeaderAsync(Leader("b", At(6)), Ct));
        Assert.False(await Store.TryAcquireLeaderAsync(Leader("b", At(8.9)), Ct));
        Assert.True(await Store.TryAcquireLeaderAsync(Leader("b", At(9)), Ct));
    }

    [Fact]
    public async Task TryAcquireLeaderAsync_ExpiredLease_IsTakenOver()
    {
        await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct);

        Assert.True(await Store.TryAcquireLeaderAsync(Leader("b", At(5)), Ct));
        Assert.False(await Store.TryAcquireLeaderAsync(Leader("a", At(6)), Ct));
    }

    [Fact]
    public async Task TryAcquireLeaderAsync_DifferentNames_AreIndependent()
    {
        Assert.True(await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct));
        Assert.True(await Store.TryAcquireLeaderAsync(new LeaderRequest("other", "b", T0, TimeSpan.FromSeconds(5)), Ct));
    }

    [Fact]
    public async Task ReleaseLeaderAsync_ByOwner_FreesTheLeaseAtOnce()
    {
        await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct);

        await Store.ReleaseLeaderAsync("maintenance", "a", Ct);

        Assert.True(await Store.TryAcquireLeaderAsync(Leader("b", At(1)), Ct));
    }

    [Fact]
    public async Task ReleaseLeaderAsync_ByAnother_KeepsTheLease()
    {
        await Store.TryAcquireLeaderAsync(Leader("a", T0), Ct);

        await Store.ReleaseLeaderAsync("maintenance", "b", Ct);

        Assert.False(await Store.TryAcquireLeaderAsync(Leader("b", At(1)), Ct));
    }

    // ----- transactional insert -----

    [Fact]
    public async Task InsertManyAsync_InCallerTransaction_VisibleOnlyAfterCommit()
    {
        var (connection, transaction) = await BeginCallerTransactionAsync();
        await using (connection)
        await using (transaction)
        {
            var results = await Store.InsertManyAsync(new InsertManyRequest([NewJob(kind: "outbox")], T0), transaction, Ct);
            var id = Assert.Single(results).Id;

            Assert.Null(await Store.GetAsync(id, Ct));
            Assert.Empty(await Store.ListDueAsync(new ListDueRequest("default", 10, T0), Ct));

            await transaction.CommitAsync(Ct);

            Assert.Equal("outbox", (await GetAsync(id)).Kind);
            Assert.Equal([id], (await FetchAsync(10)).Select(f => f.Job.Id));
        }
    }

    [Fact]
    public async Task InsertManyAsync_InCallerTransaction_GoneAfterRollback()
    {
        long id;
        var (connection, transaction) = await BeginCallerTransactionAsync();
        await using (connection)
        await using (transaction)
        {
            id = (await Store.InsertManyAsync(new InsertManyRequest([NewJob(kind: "outbox", uniqueKey: "once")], T0), transaction, Ct))[0].Id;
            await transaction.RollbackAsync(Ct);
        }

        Assert.Null(await Store.GetAsync(id, Ct));
        Assert.Empty(await FetchAsync(10));
        // The unique key was never taken.
        Assert.False((await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "once")], T0), Ct))[0].Existing);
    }
}
