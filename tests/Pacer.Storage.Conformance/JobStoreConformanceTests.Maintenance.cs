namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    // ----- rescuer -----

    [Fact]
    public async Task RescueExpiredAsync_ExpiredLease_BecomesRetryableNowWithError()
    {
        var id = await InsertAsync(NewJob(maxAttempts: 3));
        await FetchJobAsync(id, owner: "worker-gone");
        var now = T0 + Lease + TimeSpan.FromTicks(10);

        var rescued = await Store.RescueExpiredAsync(new RescueRequest(now, 100), Ct);

        Assert.Equal([new RescuedJob(id, JobState.Retryable)], rescued);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Retryable, job.State);
        Assert.Equal(now, job.ScheduledAt);
        Assert.Null(job.FinalizedAt);
        Assert.Equal(1, job.Attempt);
        AssertNoLease(job);
        var error = Assert.Single(job.Errors);
        Assert.Equal("Pacer.LeaseExpired", error.Type);
        Assert.Equal(1, error.Attempt);
        Assert.Equal(now, error.At);
        Assert.Contains("worker-gone", error.Message, StringComparison.Ordinal);
        // Due at once: the next fetch runs it again.
        Assert.Equal(2, (await FetchJobAsync(id, now: now)).Job.Attempt);
    }

    [Fact]
    public async Task RescueExpiredAsync_AtMaxAttempts_IsDiscarded()
    {
        var id = await InsertAsync(NewJob(maxAttempts: 1));
        await FetchJobAsync(id);
        var now = At(31);

        var rescued = await Store.RescueExpiredAsync(new RescueRequest(now, 100), Ct);

        Assert.Equal([new RescuedJob(id, JobState.Discarded)], rescued);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Discarded, job.State);
        Assert.Equal(now, job.FinalizedAt);
        Assert.Equal("Pacer.LeaseExpired", Assert.Single(job.Errors).Type);
        AssertNoLease(job);
    }

    [Fact]
    public async Task RescueExpiredAsync_LeaseNotYetExpired_IsLeftAlone()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);

        // Expiry is the last instant the lease holds.
        Assert.Empty(await Store.RescueExpiredAsync(new RescueRequest(T0 + Lease, 100), Ct));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Completed, At(1))));
    }

    [Fact]
    public async Task RescueExpiredAsync_StoppedOwner_IsRescuedBeforeItsLeaseRunsOut_OthersAreNot()
    {
        var stopped = await InsertAsync(NewJob(maxAttempts: 3));
        var live = await InsertAsync(NewJob(maxAttempts: 3));
        var expired = await InsertAsync(NewJob(maxAttempts: 3));
        await FetchJobAsync(expired, owner: "host:43:late");
        var lost = await FetchJobAsync(stopped, now: At(20), owner: "host:41:gone");
        var kept = await FetchJobAsync(live, now: At(20), owner: "host:42:alive");
        var now = T0 + Lease + TimeSpan.FromTicks(10);

        var rescued = await Store.RescueExpiredAsync(new RescueRequest(now, 100) { StoppedOwners = ["host:41:gone", "host:44:idle"] }, Ct);

        Assert.Equal(new[] { stopped, expired }.Order(), rescued.Select(r => r.JobId).Order());
        var job = await GetAsync(stopped);
        Assert.Equal(JobState.Retryable, job.State);
        AssertNoLease(job);
        var error = Assert.Single(job.Errors);
        Assert.Equal("Pacer.LeaseExpired", error.Type);
        Assert.Contains("host:41:gone", error.Message, StringComparison.Ordinal);
        Assert.Contains("process has stopped", error.Message, StringComparison.Ordinal);
        Assert.Contains("expired at", Assert.Single((await GetAsync(expired)).Errors).Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Running, (await GetAsync(live)).State);
        // The stopped worker, were it not stopped after all, can no longer complete; the live one still can.
        Assert.False(await CompleteAsync(new JobCompletion(stopped, lost.LeaseToken, CompletionKind.Completed, now)));
        Assert.True(await CompleteAsync(new JobCompletion(live, kept.LeaseToken, CompletionKind.Completed, now)));
    }

    [Fact]
    public async Task ListLeaseOwnersAsync_NamesTheOwnersOfRunningJobs_EachOnce()
    {
        Assert.Empty(await Store.ListLeaseOwnersAsync(Ct));
        var ids = new List<long>();
        for (var i = 0; i < 4; i++)
            ids.Add(await InsertAsync(NewJob()));
        await FetchJobAsync(ids[0], owner: "host:1:aaa");
        await FetchJobAsync(ids[1], owner: "host:1:aaa");
        var done = await FetchJobAsync(ids[2], owner: "host:2:bbb");
        Assert.True(await CompleteAsync(new JobCompletion(ids[2], done.LeaseToken, CompletionKind.Completed, At(1))));

        var owners = await Store.ListLeaseOwnersAsync(Ct);

        Assert.Equal(["host:1:aaa"], owners); // the completed job's worker holds nothing; the available job has no owner
    }

    [Fact]
    public async Task RescueExpiredAsync_ManyExpired_RespectsLimit()
    {
        await InsertManyAsync(5);
        await FetchAsync(5);

        var first = await Store.RescueExpiredAsync(new RescueRequest(At(60), 3), Ct);
        var second = await Store.RescueExpiredAsync(new RescueRequest(At(60), 3), Ct);

        Assert.Equal(3, first.Count);
        Assert.Equal(2, second.Count);
        Assert.Empty(first.Select(r => r.JobId).Intersect(second.Select(r => r.JobId)));
    }

    [Fact]
    public async Task RescueExpiredAsync_RescuedJobTakenByAnotherWorker_OldHolderIsFencedOff()
    {
        var id = await InsertAsync(NewJob());
        var zombie = await FetchJobAsync(id, owner: "worker-a");
        await Store.RescueExpiredAsync(new RescueRequest(At(31), 100), Ct);
        var current = await FetchJobAsync(id, now: At(31), owner: "worker-b");

        var zombieExtend = await Store.ExtendLeasesAsync(new ExtendLeasesRequest([new LeaseRef(id, zombie.LeaseToken)], At(32), At(62)), Ct);
        var zombieDone = await CompleteAsync(new JobCompletion(id, zombie.LeaseToken, CompletionKind.Completed, At(32)));

        Assert.Equal([id], zombieExtend.Lost);
        Assert.False(zombieDone);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal("worker-b", job.LeaseOwner);
        Assert.Equal(At(31) + Lease, job.LeaseExpiresAt);
        Assert.True(await CompleteAsync(new JobCompletion(id, current.LeaseToken, CompletionKind.Completed, At(33))));
    }

    // ----- scheduler -----

    [Fact]
    public async Task PromoteDueAsync_DueScheduledAndRetryable_BecomeAvailable()
    {
        var scheduled = await InsertAsync(NewJob(scheduledAt: At(100)));
        var later = await InsertAsync(NewJob(scheduledAt: At(700)));
        var retryable = await InsertInStateAsync(JobState.Retryable); // due at At(600)
        var running = await InsertInStateAsync(JobState.Running);

        var promoted = await Store.PromoteDueAsync(At(600), 100, Ct);

        Assert.Equal(2, promoted);
        Assert.Equal(JobState.Available, (await GetAsync(scheduled)).State);
        Assert.Equal(JobState.Available, (await GetAsync(retryable)).State);
        Assert.Equal(At(600), (await GetAsync(retryable)).ScheduledAt);
        Assert.Equal(JobState.Scheduled, (await GetAsync(later)).State);
        Assert.Equal(JobState.Running, (await GetAsync(running)).State);
    }

    [Fact]
    public async Task PromoteDueAsync_ManyDue_RespectsLimit()
    {
        await InsertManyAsync(5, _ => NewJob(scheduledAt: At(10)));

        Assert.Equal(3, await Store.PromoteDueAsync(At(10), 3, Ct));
        Assert.Equal(2, await Store.PromoteDueAsync(At(10), 3, Ct));
        Assert.Equal(0, await Store.PromoteDueAsync(At(10), 3, Ct));
    }

    // ----- cleaner -----

    [Fact]
    public async Task DeleteFinalizedAsync_OldFinalJobs_AreDeletedOthersKept()
    {
        var completed = await InsertInStateAsync(JobState.Completed); // finalized at At(1)
        var discarded = await InsertInStateAsync(JobState.Discarded); // finalized at At(1)
        var cancelled = await InsertInStateAsync(JobState.Cancelled); // finalized at T0
        var retryable = await InsertInStateAsync(JobState.Retryable);
        var running = await InsertInStateAsync(JobState.Running);
        var available = await InsertInStateAsync(JobState.Available);

        var deletedEarly = await Store.DeleteFinalizedAsync(At(1), 100, Ct);
        var deleted = await Store.DeleteFinalizedAsync(At(2), 100, Ct);

        Assert.Equal(1, deletedEarly); // finalized_at must be strictly before
        Assert.Equal(2, deleted);
        Assert.Null(await Store.GetAsync(completed, Ct));
        Assert.Null(await Store.GetAsync(discarded, Ct));
        Assert.Null(await Store.GetAsync(cancelled, Ct));
        Assert.NotNull(await Store.GetAsync(retryable, Ct));
        Assert.NotNull(await Store.GetAsync(running, Ct));
        Assert.NotNull(await Store.GetAsync(available, Ct));
    }

    [Fact]
    public async Task DeleteFinalizedAsync_ManyOld_RespectsLimit()
    {
        var ids = await InsertManyAsync(5);
        foreach (var id in ids)
            await Store.CancelAsync(id, T0, Ct);

        Assert.Equal(2, await Store.DeleteFinalizedAsync(At(1), 2, Ct));
        Assert.Equal(3, (await Store.ListAsync(new JobQuery(), Ct)).Count);
    }

    [Fact]
    public async Task DeleteFinalizedAsync_AfterNewestJobDeleted_IdsAreNotReused()
    {
        var id = await InsertInStateAsync(JobState.Completed);
        Assert.Equal(1, await Store.DeleteFinalizedAsync(At(10), 100, Ct));

        var next = await InsertAsync(NewJob());

        Assert.True(next > id, $"Job id {id} was reused after its job was deleted.");
    }
}
