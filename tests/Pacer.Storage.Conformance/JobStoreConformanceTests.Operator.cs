namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    // ----- cancel -----

    [Fact]
    public async Task CancelAsync_MissingJob_NotFound()
    {
        Assert.Equal(CancelResult.NotFound, await Store.CancelAsync(424_242, T0, Ct));
    }

    [Theory]
    [InlineData(JobState.Available)]
    [InlineData(JobState.Scheduled)]
    [InlineData(JobState.Retryable)]
    public async Task CancelAsync_WaitingJob_IsCancelledAtOnce(JobState state)
    {
        var id = await InsertInStateAsync(state);

        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(id, At(5), Ct));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal(At(5), job.FinalizedAt);
        AssertNoLease(job);
        Assert.Empty(await FetchAsync(10, now: At(3600)));
    }

    [Fact]
    public async Task CancelAsync_RunningJob_FlagsItAndLeavesItRunning()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);

        Assert.Equal(CancelResult.CancelRequested, await Store.CancelAsync(id, At(5), Ct));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.True(job.CancelRequested);
        Assert.Null(job.FinalizedAt);
        Assert.Equal(fetched.Job.LeaseExpiresAt, job.LeaseExpiresAt);
        // The worker's own cancel completion is still accepted under its lease.
        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Cancel, At(6))));
        Assert.Equal(JobState.Cancelled, (await GetAsync(id)).State);
    }

    [Theory]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Cancelled)]
    [InlineData(JobState.Discarded)]
    public async Task CancelAsync_FinalJob_AlreadyFinalAndUnchanged(JobState state)
    {
        var id = await InsertInStateAsync(state);
        var before = await GetAsync(id);

        Assert.Equal(CancelResult.AlreadyFinal, await Store.CancelAsync(id, At(50), Ct));

        var after = await GetAsync(id);
        Assert.Equal(state, after.State);
        Assert.Equal(before.FinalizedAt, after.FinalizedAt);
    }

    // ----- retry -----

    [Fact]
    public async Task RetryAsync_MissingJob_NotFound()
    {
        Assert.Equal(RetryResult.NotFound, await Store.RetryAsync(424_242, T0, Ct));
    }

    [Fact]
    public async Task RetryAsync_RunningJob_IsRefused()
    {
        var id = await InsertInStateAsync(JobState.Running);

        Assert.Equal(RetryResult.Running, await Store.RetryAsync(id, At(5), Ct));
        Assert.Equal(JobState.Running, (await GetAsync(id)).State);
    }

    [Theory]
    [InlineData(JobState.Available)]
    [InlineData(JobState.Scheduled)]
    public async Task RetryAsync_WaitingJob_AlreadyWaitingAndUnchanged(JobState state)
    {
        var id = await InsertInStateAsync(state);
        var before = await GetAsync(id);

        Assert.Equal(RetryResult.AlreadyWaiting, await Store.RetryAsync(id, At(5), Ct));

        var after = await GetAsync(id);
        Assert.Equal(state, after.State);
        Assert.Equal(before.ScheduledAt, after.ScheduledAt);
    }

    [Theory]
    [InlineData(JobState.Retryable)]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Cancelled)]
    [InlineData(JobState.Discarded)]
    public async Task RetryAsync_RetryableOrFinalJob_IsAvailableNow(JobState state)
    {
        var id = await InsertInStateAsync(state);
        var before = await GetAsync(id);

        Assert.Equal(RetryResult.Retried, await Store.RetryAsync(id, At(5), Ct));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Available, job.State);
        Assert.Equal(At(5), job.ScheduledAt);
        Assert.Null(job.FinalizedAt);
        Assert.Equal(before.Errors, job.Errors);
        AssertNoLease(job);
        Assert.Equal([id], (await FetchAsync(10, now: At(5))).Select(f => f.Job.Id));
    }

    [Fact]
    public async Task RetryAsync_OutOfAttempts_AllowsOneMoreAttempt()
    {
        var id = await InsertInStateAsync(JobState.Discarded, maxAttempts: 1);

        Assert.Equal(RetryResult.Retried, await Store.RetryAsync(id, At(5), Ct));

        var job = await GetAsync(id);
        Assert.Equal(2, job.MaxAttempts);
        var fetched = await FetchJobAsync(id, now: At(5));
        Assert.Equal(2, fetched.Job.Attempt);
        Assert.Equal(2, fetched.Job.MaxAttempts);
    }

    [Fact]
    public async Task RetryAsync_AttemptsLeft_KeepsMaxAttempts()
    {
        var id = await InsertInStateAsync(JobState.Completed, maxAttempts: 5);

        await Store.RetryAsync(id, At(5), Ct);

        Assert.Equal(5, (await GetAsync(id)).MaxAttempts);
    }

    [Fact]
    public async Task RetryAsync_UniqueKeyNowHeldByAnotherJob_AlreadyWaitingAndUnchanged()
    {
        var old = await InsertInStateAsync(JobState.Completed, uniqueKey: "sync:7");
        var holder = await InsertAsync(NewJob(uniqueKey: "sync:7"), now: At(2));

        // Reviving the old job would give the key two unfinished jobs: the work is already waiting under the holder.
        Assert.Equal(RetryResult.AlreadyWaiting, await Store.RetryAsync(old, At(5), Ct));

        Assert.Equal(JobState.Completed, (await GetAsync(old)).State);
        Assert.Equal(JobState.Available, (await GetAsync(holder)).State);
        var again = await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "sync:7")], At(6)), Ct);
        Assert.Equal(new InsertResult(holder, Existing: true), again[0]);
    }

    [Fact]
    public async Task RetryAsync_UniqueKeyFree_RevivedJobHoldsTheKeyAgain()
    {
        var id = await InsertInStateAsync(JobState.Discarded, uniqueKey: "sync:8");

        Assert.Equal(RetryResult.Retried, await Store.RetryAsync(id, At(5), Ct));

        var again = await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "sync:8")], At(6)), Ct);
        Assert.Equal(new InsertResult(id, Existing: true), again[0]);
    }

    // ----- many at once -----

    [Fact]
    public async Task CancelManyAsync_GivesEachJobWhatCancelAsyncWould_InOrder()
    {
        var available = await InsertInStateAsync(JobState.Available);
        var scheduled = await InsertInStateAsync(JobState.Scheduled);
        var running = await InsertInStateAsync(JobState.Running);
        var completed = await InsertInStateAsync(JobState.Completed);

        var results = await Store.CancelManyAsync([scheduled, 424_242, running, completed, available, available], At(5), Ct);

        Assert.Equal([CancelResult.Cancelled, CancelResult.NotFound, CancelResult.CancelRequested, CancelResult.AlreadyFinal, CancelResult.Cancelled, CancelResult.AlreadyFinal], results);
        Assert.Equal(At(5), (await GetAsync(scheduled)).FinalizedAt);
        Assert.Equal(JobState.Cancelled, (await GetAsync(available)).State);
        Assert.True((await GetAsync(running)).CancelRequested);
        Assert.Equal(JobState.Running, (await GetAsync(running)).State);
        Assert.Equal(JobState.Completed, (await GetAsync(completed)).State);
        Assert.Empty(await Store.CancelManyAsync([], At(6), Ct));
    }

    [Fact]
    public async Task RetryManyAsync_GivesEachJobWhatRetryAsyncWould_AndTheFirstOfTwoWithOneUniqueKeyHoldsIt()
    {
        var discarded = await InsertInStateAsync(JobState.Discarded, maxAttempts: 1);
        var retryable = await InsertInStateAsync(JobState.Retryable);
        var available = await InsertInStateAsync(JobState.Available);
        var running = await InsertInStateAsync(JobState.Running);
        var older = await InsertInStateAsync(JobState.Discarded, uniqueKey: "report:9");
        var newer = await InsertInStateAsync(JobState.Cancelled, uniqueKey: "report:9");

        var results = await Store.RetryManyAsync([discarded, retryable, available, running, 424_242, newer, older], At(5), Ct);

        Assert.Equal(
            [RetryResult.Retried, RetryResult.Retried, RetryResult.AlreadyWaiting, RetryResult.Running, RetryResult.NotFound, RetryResult.Retried, RetryResult.AlreadyWaiting],
            results);
        var revived = await GetAsync(discarded);
        Assert.Equal((JobState.Available, At(5), 2), (revived.State, revived.ScheduledAt, revived.MaxAttempts));
        Assert.Null(revived.FinalizedAt);
        Assert.Equal(JobState.Available, (await GetAsync(retryable)).State);
        Assert.Equal(JobState.Available, (await GetAsync(newer)).State);
        Assert.Equal(JobState.Discarded, (await GetAsync(older)).State);
        Assert.Equal(4, (await FetchAsync(10, now: At(6))).Count); // the three revived and the one that was available
    }
}
