using System.Collections.Concurrent;

namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task FetchAsync_ManyDueJobs_OrdersByPriorityThenScheduledAtThenId()
    {
        var lowOld = await InsertAsync(NewJob(priority: 0, scheduledAt: At(-30)));
        var highNew = await InsertAsync(NewJob(priority: 5, scheduledAt: At(-1)));
        var highOld = await InsertAsync(NewJob(priority: 5, scheduledAt: At(-20)));
        var lowNewA = await InsertAsync(NewJob(priority: 0, scheduledAt: At(-10)));
        var lowNewB = await InsertAsync(NewJob(priority: 0, scheduledAt: At(-10)));
        var negative = await InsertAsync(NewJob(priority: -3, scheduledAt: At(-100)));

        var fetched = await FetchAsync(10);

        Assert.Equal([highOld, highNew, lowOld, lowNewA, lowNewB, negative], fetched.Select(f => f.Job.Id));
    }

    [Fact]
    public async Task FetchAsync_MoreDueThanLimit_ReturnsLimitInDispatchOrder()
    {
        var ids = await InsertManyAsync(10, i => NewJob(scheduledAt: At(-10 + i)));

        var first = await FetchAsync(4);
        var second = await FetchAsync(4);
        var third = await FetchAsync(4);

        Assert.Equal(ids[..4], first.Select(f => f.Job.Id));
        Assert.Equal(ids[4..8], second.Select(f => f.Job.Id));
        Assert.Equal(ids[8..], third.Select(f => f.Job.Id));
        Assert.Empty(await FetchAsync(4));
    }

    [Fact]
    public async Task FetchAsync_LimitZero_ClaimsNothing()
    {
        await InsertManyAsync(3);

        Assert.Empty(await FetchAsync(0));
        Assert.Equal(3, (await Store.ListDueAsync(new ListDueRequest("default", 10, T0), Ct)).Count);
    }

    [Fact]
    public async Task FetchAsync_FutureJobsAndOtherQueues_AreSkipped()
    {
        var due = await InsertAsync(NewJob(scheduledAt: T0));
        var future = await InsertAsync(NewJob(scheduledAt: T0.AddMicroseconds(1)));
        var otherQueue = await InsertAsync(NewJob(queue: "other", priority: 100));

        var fetched = await FetchAsync(10);

        Assert.Equal([due], fetched.Select(f => f.Job.Id));
        Assert.Equal(JobState.Scheduled, (await GetAsync(future)).State);
        Assert.Equal(JobState.Available, (await GetAsync(otherQueue)).State);
        Assert.Equal([future], (await FetchAsync(10, now: T0.AddMicroseconds(1))).Select(f => f.Job.Id));
        Assert.Equal([otherQueue], (await FetchAsync(10, queue: "other")).Select(f => f.Job.Id));
    }

    [Fact]
    public async Task FetchAsync_ScheduledAndRetryableJobsOnceDue_AreFetchedWithoutPromotion()
    {
        var scheduled = await InsertAsync(NewJob(scheduledAt: At(10)));
        var retryable = await InsertInStateAsync(JobState.Retryable); // runs again at At(600)

        Assert.Empty(await FetchAsync(10, now: At(9)));
        Assert.Equal([scheduled], (await FetchAsync(10, now: At(10))).Select(f => f.Job.Id));
        Assert.Equal([retryable], (await FetchAsync(10, now: At(600))).Select(f => f.Job.Id));
    }

    [Fact]
    public async Task FetchAsync_ClaimedJob_IsRunningUnderLeaseWithAttemptIncremented()
    {
        var id = await InsertAsync(NewJob());

        var fetched = (await FetchAsync(1, now: At(5), owner: "worker-7"))[0];
        var stored = await GetAsync(id);

        foreach (var job in new[] { fetched.Job, stored })
        {
            Assert.Equal(JobState.Running, job.State);
            Assert.Equal(1, job.Attempt);
            Assert.Equal(At(5), job.AttemptedAt);
            Assert.Equal("worker-7", job.LeaseOwner);
            Assert.Equal(At(5) + Lease, job.LeaseExpiresAt);
            Assert.False(job.CancelRequested);
            Assert.Equal(T0, job.ScheduledAt);
        }
        Assert.NotEqual(0, fetched.LeaseToken);
    }

    [Fact]
    public async Task FetchAsync_EveryClaim_GetsADistinctNonZeroToken()
    {
        await InsertManyAsync(50);
        var tokens = (await FetchAsync(50)).Select(f => f.LeaseToken).ToList();

        // The same job claimed again after a retry runs its second attempt under a new token.
        var id = await InsertAsync(NewJob(queue: "again"));
        var firstClaim = await FetchJobAsync(id, queue: "again");
        Assert.True(await CompleteAsync(new JobCompletion(id, firstClaim.LeaseToken, CompletionKind.Retry, At(1)) { RunAt = At(2), Error = Error(1, At(1)) }));
        var secondClaim = await FetchJobAsync(id, now: At(2), queue: "again");
        tokens.Add(firstClaim.LeaseToken);
        tokens.Add(secondClaim.LeaseToken);

        Assert.Equal(52, tokens.Count);
        Assert.Equal(2, secondClaim.Job.Attempt);
        Assert.DoesNotContain(0L, tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task FetchAsync_RunningJob_IsNotFetchedAgain()
    {
        var id = await InsertAsync(NewJob());
        await FetchJobAsync(id);

        Assert.Empty(await FetchAsync(10, now: At(3600)));
        Assert.Empty(await FetchAsync(10, onlyIds: [id]));
    }

    [Fact]
    public async Task FetchAsync_OnlyIds_ClaimsOnlyThoseStillDue()
    {
        var ids = await InsertManyAsync(5);
        var future = await InsertAsync(NewJob(scheduledAt: At(60)));
        var otherQueue = await InsertAsync(NewJob(queue: "other"));

        var fetched = await FetchAsync(10, onlyIds: [ids[3], ids[1], future, otherQueue, 999_999]);

        Assert.Equal([ids[1], ids[3]], fetched.Select(f => f.Job.Id));
        Assert.Equal(3, (await Store.ListDueAsync(new ListDueRequest("default", 10, T0), Ct)).Count);
    }

    [Fact]
    public async Task FetchAsync_OnlyIdsBeyondLimit_ClaimsAtMostLimit()
    {
        var ids = await InsertManyAsync(5);

        var fetched = await FetchAsync(2, onlyIds: ids);

        Assert.Equal(ids[..2], fetched.Select(f => f.Job.Id));
    }

    [Fact]
    public async Task FetchAsync_OnlyIdsEmpty_ClaimsNothing()
    {
        await InsertManyAsync(3);

        Assert.Empty(await FetchAsync(10, onlyIds: []));
    }

    [Fact]
    public async Task FetchAsync_EmptyQueue_ReturnsEmpty()
    {
        Assert.Empty(await FetchAsync(10));
    }

    [Fact]
    public async Task FetchAsync_ConcurrentFetchers_ClaimEachJobExactlyOnce()
    {
        const int jobs = 500;
        const int fetchers = 20;
        await InsertManyAsync(jobs);
        var claimed = new ConcurrentBag<long>();
        var tokens = new ConcurrentBag<long>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var tasks = Enumerable.Range(0, fetchers).Select(f => Task.Run(async () =>
        {
            await start.Task;
            while (true)
            {
                var batch = await FetchAsync(7, owner: $"worker-{f}");
                if (batch.Count == 0)
                    return;
                Assert.True(batch.Count <= 7);
                foreach (var job in batch)
                {
                    claimed.Add(job.Job.Id);
                    tokens.Add(job.LeaseToken);
                }
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(tasks);

        Assert.Equal(jobs, claimed.Count);
        Assert.Equal(jobs, claimed.Distinct().Count());
        Assert.Equal(jobs, tokens.Distinct().Count());
        Assert.All(await Store.ListAsync(new JobQuery { Limit = jobs }, Ct), j => Assert.Equal(1, j.Attempt));
    }

    [Fact]
    public async Task ListDueAsync_DueJobs_ListsInDispatchOrderWithoutClaiming()
    {
        var low = await InsertAsync(NewJob(priority: 0));
        var high = await InsertAsync(NewJob(priority: 9));
        var retryable = await InsertInStateAsync(JobState.Retryable); // due at At(600)
        await InsertAsync(NewJob(scheduledAt: At(3600)));
        await InsertAsync(NewJob(queue: "other"));
        await InsertInStateAsync(JobState.Running);
        await InsertInStateAsync(JobState.Completed);

        var due = await Store.ListDueAsync(new ListDueRequest("default", 10, At(600)), Ct);
        var limited = await Store.ListDueAsync(new ListDueRequest("default", 1, At(600)), Ct);

        Assert.Equal([high, low, retryable], due.Select(j => j.Id));
        Assert.Equal([high], limited.Select(j => j.Id));
        Assert.Equal(JobState.Available, (await GetAsync(high)).State);
        Assert.Equal(0, (await GetAsync(high)).Attempt);
    }
}
