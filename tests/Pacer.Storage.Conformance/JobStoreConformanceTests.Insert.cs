namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task InsertManyAsync_DueJob_IsAvailable()
    {
        var id = await InsertAsync(NewJob(scheduledAt: At(-5)));

        Assert.Equal(JobState.Available, (await GetAsync(id)).State);
    }

    [Fact]
    public async Task InsertManyAsync_ScheduledAtEqualsNow_IsAvailable()
    {
        var id = await InsertAsync(NewJob(scheduledAt: T0), now: T0);

        Assert.Equal(JobState.Available, (await GetAsync(id)).State);
    }

    [Fact]
    public async Task InsertManyAsync_FutureJob_IsScheduled()
    {
        var id = await InsertAsync(NewJob(scheduledAt: T0.AddTicks(10)), now: T0);

        var job = await GetAsync(id);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(T0.AddTicks(10), job.ScheduledAt);
    }

    [Fact]
    public async Task InsertManyAsync_EveryField_RoundTrips()
    {
        // Microsecond precision and a non-UTC offset (11:59:58.234567 UTC): the store keeps the instant and hands it back in UTC.
        var scheduledAt = new DateTimeOffset(2026, 3, 1, 13, 59, 58, TimeSpan.FromHours(2)).AddMicroseconds(234_567);
        var now = T0.AddMicroseconds(1);
        var insert = new JobInsert
        {
            Kind = "email.send",
            Args = """{"to":"a@example.com","n":1}""",
            Queue = "mail",
            Priority = 7,
            MaxAttempts = 3,
            ScheduledAt = scheduledAt,
            Timeout = TimeSpan.FromMilliseconds(1500),
            Tags = ["tenant:1", "urgent"],
            Claims = [new ResourceClaim("smtp", 2), new ResourceClaim("account:42")],
            UniqueKey = "email:42",
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

        var id = await InsertAsync(insert, now);
        var job = await GetAsync(id);

        Assert.Equal(id, job.Id);
        Assert.Equal("email.send", job.Kind);
        Assert.Equal(insert.Args, job.Args);
        Assert.Equal("mail", job.Queue);
        Assert.Equal(7, job.Priority);
        Assert.Equal(3, job.MaxAttempts);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(JobState.Available, job.State);
        Assert.Equal(scheduledAt, job.ScheduledAt);
        Assert.Equal(TimeSpan.Zero, job.ScheduledAt.Offset);
        Assert.Equal(scheduledAt.UtcDateTime, job.ScheduledAt.UtcDateTime);
        Assert.Equal(now, job.CreatedAt);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), job.Timeout);
        Assert.Equal(["tenant:1", "urgent"], job.Tags);
        Assert.Equal([new ResourceClaim("smtp", 2), new ResourceClaim("account:42", 1)], job.Claims);
        Assert.Equal("email:42", job.UniqueKey);
        Assert.Equal(insert.TraceParent, job.TraceParent);
        Assert.Empty(job.Errors);
        Assert.Null(job.AttemptedAt);
        Assert.Null(job.FinalizedAt);
        AssertNoLease(job);
    }

    [Fact]
    public async Task InsertManyAsync_OptionalFieldsUnset_ReadBackEmpty()
    {
        var id = await InsertAsync(NewJob());

        var job = await GetAsync(id);
        Assert.Null(job.Timeout);
        Assert.Null(job.UniqueKey);
        Assert.Null(job.TraceParent);
        Assert.Empty(job.Tags);
        Assert.Empty(job.Claims);
    }

    [Fact]
    public async Task InsertManyAsync_Batch_ReturnsNewIncreasingIdsInOrder()
    {
        var results = await Store.InsertManyAsync(new InsertManyRequest([NewJob(kind: "a"), NewJob(kind: "b"), NewJob(kind: "c")], T0), Ct);

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.False(r.Existing));
        Assert.True(results[0].Id < results[1].Id && results[1].Id < results[2].Id);
        Assert.Equal("a", (await GetAsync(results[0].Id)).Kind);
        Assert.Equal("c", (await GetAsync(results[2].Id)).Kind);
    }

    [Fact]
    public async Task InsertManyAsync_EmptyBatch_ReturnsEmpty()
    {
        var results = await Store.InsertManyAsync(new InsertManyRequest([], T0), Ct);

        Assert.Empty(results);
    }

    [Theory]
    [InlineData(JobState.Scheduled)]
    [InlineData(JobState.Available)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Retryable)]
    public async Task InsertManyAsync_UniqueKeyOfUnfinishedJob_ReturnsExisting(JobState state)
    {
        var first = await InsertInStateAsync(state, uniqueKey: "report:1");

        var again = await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "report:1", kind: "other")], At(2)), Ct);

        Assert.Equal(new InsertResult(first, Existing: true), again[0]);
        Assert.Single(await Store.ListAsync(new JobQuery(), Ct));
        Assert.Equal(state, (await GetAsync(first)).State);
    }

    [Theory]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Cancelled)]
    [InlineData(JobState.Discarded)]
    public async Task InsertManyAsync_UniqueKeyOfFinalJob_InsertsNewJob(JobState state)
    {
        var first = await InsertInStateAsync(state, uniqueKey: "report:1");

        var again = await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "report:1")], At(2)), Ct);

        Assert.False(again[0].Existing);
        Assert.NotEqual(first, again[0].Id);
        // The new job now holds the key.
        var third = await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "report:1")], At(3)), Ct);
        Assert.Equal(new InsertResult(again[0].Id, Existing: true), third[0]);
    }

    [Fact]
    public async Task InsertManyAsync_SameKeyTwiceInBatch_SecondReturnsFirst()
    {
        var results = await Store.InsertManyAsync(
            new InsertManyRequest([NewJob(uniqueKey: "k"), NewJob(uniqueKey: "other"), NewJob(uniqueKey: "k")], T0), Ct);

        Assert.False(results[0].Existing);
        Assert.False(results[1].Existing);
        Assert.Equal(new InsertResult(results[0].Id, Existing: true), results[2]);
        Assert.Equal(2, (await Store.ListAsync(new JobQuery(), Ct)).Count);
    }

    [Fact]
    public async Task InsertManyAsync_NoUniqueKey_AlwaysInserts()
    {
        var results = await Store.InsertManyAsync(new InsertManyRequest([NewJob(), NewJob()], T0), Ct);

        Assert.All(results, r => Assert.False(r.Existing));
        Assert.NotEqual(results[0].Id, results[1].Id);
    }
}
