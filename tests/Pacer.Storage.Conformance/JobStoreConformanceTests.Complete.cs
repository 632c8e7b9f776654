namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    // ----- leases -----

    [Fact]
    public async Task ExtendLeasesAsync_HeldLease_MovesExpiry()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);

        var result = await Store.ExtendLeasesAsync(new ExtendLeasesRequest([new LeaseRef(id, fetched.LeaseToken)], At(10), At(40)), Ct);

        Assert.Empty(result.Lost);
        Assert.Empty(result.CancelRequested);
        Assert.Equal(At(40), (await GetAsync(id)).LeaseExpiresAt);
    }

    [Fact]
    public async Task ExtendLeasesAsync_StaleTokenOrFinishedJob_ReportsLost()
    {
        var held = await FetchJobAsync(await InsertAsync(NewJob()));
        var staleToken = await FetchJobAsync(await InsertAsync(NewJob()));
        var finished = await FetchJobAsync(await InsertAsync(NewJob()));
        Assert.True(await CompleteAsync(new JobCompletion(finished.Job.Id, finished.LeaseToken, CompletionKind.Completed, At(1))));

        var result = await Store.ExtendLeasesAsync(new ExtendLeasesRequest(
            [
                new LeaseRef(held.Job.Id, held.LeaseToken),
                new LeaseRef(staleToken.Job.Id, staleToken.LeaseToken + 1),
                new LeaseRef(finished.Job.Id, finished.LeaseToken),
                new LeaseRef(123_456, 1),
            ], At(10), At(40)), Ct);

        Assert.Equal([staleToken.Job.Id, finished.Job.Id, 123_456], result.Lost.Order());
        Assert.Empty(result.CancelRequested);
        Assert.Equal(At(40), (await GetAsync(held.Job.Id)).LeaseExpiresAt);
        Assert.Equal(T0 + Lease, (await GetAsync(staleToken.Job.Id)).LeaseExpiresAt);
    }

    [Fact]
    public async Task ExtendLeasesAsync_CancelRequested_ReportsItAndStillExtends()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        Assert.Equal(CancelResult.CancelRequested, await Store.CancelAsync(id, At(5), Ct));

        var result = await Store.ExtendLeasesAsync(new ExtendLeasesRequest([new LeaseRef(id, fetched.LeaseToken)], At(10), At(40)), Ct);

        Assert.Equal([id], result.CancelRequested);
        Assert.Empty(result.Lost);
        Assert.Equal(At(40), (await GetAsync(id)).LeaseExpiresAt);
    }

    [Fact]
    public async Task ExtendLeasesAsync_NoLeases_ReturnsEmpty()
    {
        var result = await Store.ExtendLeasesAsync(new ExtendLeasesRequest([], T0, At(30)), Ct);

        Assert.Empty(result.Lost);
        Assert.Empty(result.CancelRequested);
    }

    // ----- completion kinds -----

    [Fact]
    public async Task CompleteManyAsync_Completed_FinalizesAndClearsLease()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Completed, At(3))));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(At(3), job.FinalizedAt);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
        AssertNoLease(job);
    }

    [Fact]
    public async Task CompleteManyAsync_Retry_BecomesRetryableAtRunAtWithError()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        var error = Error(1, At(3), "upstream said 503");

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Retry, At(3)) { RunAt = At(13), Error = error }));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Retryable, job.State);
        Assert.Equal(At(13), job.ScheduledAt);
        Assert.Equal(1, job.Attempt);
        Assert.Null(job.FinalizedAt);
        Assert.Equal([error], job.Errors);
        AssertNoLease(job);
    }

    [Fact]
    public async Task CompleteManyAsync_Discard_FinalizesWithError()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        var error = Error(1, At(3), "bad input");

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Discard, At(3)) { Error = error }));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Discarded, job.State);
        Assert.Equal(At(3), job.FinalizedAt);
        Assert.Equal([error], job.Errors);
        AssertNoLease(job);
    }

    [Fact]
    public async Task CompleteManyAsync_Snooze_SchedulesWithoutUsingAnAttempt()
    {
        var id = await InsertAsync(NewJob(maxAttempts: 1));
        var fetched = await FetchJobAsync(id);

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Snooze, At(3)) { RunAt = At(60) }));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(At(60), job.ScheduledAt);
        Assert.Equal(0, job.Attempt);
        Assert.Null(job.FinalizedAt);
        Assert.Empty(job.Errors);
        AssertNoLease(job);
        // The one allowed attempt is still there.
        var again = await FetchJobAsync(id, now: At(60));
        Assert.Equal(1, again.Job.Attempt);
    }

    [Fact]
    public async Task CompleteManyAsync_CancelWithError_FinalizesWithError()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        var error = Error(1, At(3), "cancelled by operator");

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Cancel, At(3)) { Error = error }));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal(At(3), job.FinalizedAt);
        Assert.Equal([error], job.Errors);
        AssertNoLease(job);
    }

    [Fact]
    public async Task CompleteManyAsync_CancelWithoutError_FinalizesWithoutError()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Cancel, At(3))));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Empty(job.Errors);
    }

    [Fact]
    public async Task CompleteManyAsync_CancelRequestedJobRetried_ClearsTheFlag()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        await Store.CancelAsync(id, At(1), Ct);
        Assert.True((await GetAsync(id)).CancelRequested);

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Retry, At(2)) { RunAt = At(3), Error = Error(1, At(2)) }));

        Assert.False((await GetAsync(id)).CancelRequested);
        Assert.False((await FetchJobAsync(id, now: At(3))).Job.CancelRequested);
    }

    [Fact]
    public async Task CompleteManyAsync_ErrorsAcrossAttempts_Accumulate()
    {
        var id = await InsertAsync(NewJob());
        var first = await FetchJobAsync(id);
        Assert.True(await CompleteAsync(new JobCompletion(id, first.LeaseToken, CompletionKind.Retry, At(1)) { RunAt = At(2), Error = Error(1, At(1), "first") }));
        var second = await FetchJobAsync(id, now: At(2));
        Assert.True(await CompleteAsync(new JobCompletion(id, second.LeaseToken, CompletionKind.Discard, At(3)) { Error = Error(2, At(3), "second") }));

        var job = await GetAsync(id);

        Assert.Equal([Error(1, At(1), "first"), Error(2, At(3), "second")], job.Errors);
        Assert.Equal(2, job.Attempt);
    }

    // ----- fencing -----

    [Theory]
    [InlineData(CompletionKind.Completed)]
    [InlineData(CompletionKind.Retry)]
    [InlineData(CompletionKind.Discard)]
    [InlineData(CompletionKind.Snooze)]
    [InlineData(CompletionKind.Cancel)]
    public async Task CompleteManyAsync_StaleToken_IsRejectedAndChangesNothing(CompletionKind kind)
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        var completion = new JobCompletion(id, fetched.LeaseToken + 1, kind, At(3)) { RunAt = At(60), Error = Error(1, At(3)) };

        Assert.False(await CompleteAsync(completion));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(Worker, job.LeaseOwner);
        Assert.Empty(job.Errors);
        Assert.True(await CompleteAsync(completion with { LeaseToken = fetched.LeaseToken }));
    }

    [Theory]
    [InlineData(JobState.Available)]
    [InlineData(JobState.Scheduled)]
    [InlineData(JobState.Retryable)]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Cancelled)]
    [InlineData(JobState.Discarded)]
    public async Task CompleteManyAsync_JobNotRunning_IsRejected(JobState state)
    {
        var id = await InsertInStateAsync(state);
        var before = await GetAsync(id);

        Assert.False(await CompleteAsync(new JobCompletion(id, 1, CompletionKind.Completed, At(3))));

        var after = await GetAsync(id);
        Assert.Equal(before.State, after.State);
        Assert.Equal(before.FinalizedAt, after.FinalizedAt);
    }

    [Fact]
    public async Task CompleteManyAsync_SameAttemptTwice_SecondIsRejected()
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);
        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Completed, At(3))));

        Assert.False(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Discard, At(4)) { Error = Error(1, At(4)) }));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(At(3), job.FinalizedAt);
        Assert.Empty(job.Errors);
    }

    [Fact]
    public async Task CompleteManyAsync_MissingJob_IsRejected()
    {
        Assert.False(await CompleteAsync(new JobCompletion(987_654, 1, CompletionKind.Completed, T0)));
    }

    [Fact]
    public async Task CompleteManyAsync_MixedBatch_ReturnsFlagsInOrder()
    {
        await InsertManyAsync(4);
        var fetched = await FetchAsync(4);
        var completions = new[]
        {
            new JobCompletion(fetched[0].Job.Id, fetched[0].LeaseToken, CompletionKind.Completed, At(1)),
            new JobCompletion(fetched[1].Job.Id, fetched[1].LeaseToken + 1, CompletionKind.Completed, At(1)),
            new JobCompletion(fetched[2].Job.Id, fetched[2].LeaseToken, CompletionKind.Retry, At(1)) { RunAt = At(5), Error = Error(1, At(1)) },
            new JobCompletion(555_555, 1, CompletionKind.Completed, At(1)),
            new JobCompletion(fetched[3].Job.Id, fetched[3].LeaseToken, CompletionKind.Snooze, At(1)) { RunAt = At(5) },
        };

        var accepted = await Store.CompleteManyAsync(completions, Ct);

        Assert.Equal([true, false, true, false, true], accepted);
        Assert.Equal(JobState.Completed, (await GetAsync(fetched[0].Job.Id)).State);
        Assert.Equal(JobState.Running, (await GetAsync(fetched[1].Job.Id)).State);
        Assert.Equal(JobState.Retryable, (await GetAsync(fetched[2].Job.Id)).State);
        Assert.Equal(JobState.Scheduled, (await GetAsync(fetched[3].Job.Id)).State);
    }

    [Fact]
    public async Task CompleteManyAsync_ThousandCompletions_AllAcceptedInOneCall()
    {
        await InsertManyAsync(1000);
        var fetched = await FetchAsync(1000);
        Assert.Equal(1000, fetched.Count);

        var accepted = await Store.CompleteManyAsync(
            [.. fetched.Select(f => new JobCompletion(f.Job.Id, f.LeaseToken, CompletionKind.Completed, At(1)))], Ct);

        Assert.Equal(1000, accepted.Count(a => a));
        var stats = await Store.GetStatsAsync(At(1), Ct);
        Assert.Equal(1000, stats.FinalizedSince);
    }

    [Fact]
    public async Task CompleteManyAsync_EmptyBatch_ReturnsEmpty()
    {
        Assert.Empty(await Store.CompleteManyAsync([], Ct));
    }

    [Theory]
    [InlineData(CompletionKind.Retry)]
    [InlineData(CompletionKind.Snooze)]
    public async Task CompleteManyAsync_RunAtMissing_ThrowsAndWritesNothing(CompletionKind kind)
    {
        var id = await InsertAsync(NewJob());
        var fetched = await FetchJobAsync(id);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CompleteManyAsync(
            [new JobCompletion(id, fetched.LeaseToken, kind, At(1)) { Error = Error(1, At(1)) }], Ct));

        Assert.Equal(JobState.Running, (await GetAsync(id)).State);
    }
}
