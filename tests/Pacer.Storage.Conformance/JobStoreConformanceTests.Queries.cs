namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task GetAsync_MissingJob_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync(31_337, Ct));
    }

    [Fact]
    public async Task ListAsync_ManyJobs_NewestFirstAndPagesWithBeforeId()
    {
        var ids = await InsertManyAsync(7);

        var page1 = await Store.ListAsync(new JobQuery { Limit = 3 }, Ct);
        var page2 = await Store.ListAsync(new JobQuery { Limit = 3, BeforeId = page1[^1].Id }, Ct);
        var page3 = await Store.ListAsync(new JobQuery { Limit = 3, BeforeId = page2[^1].Id }, Ct);

        Assert.Equal(ids.Reverse().Take(3), page1.Select(j => j.Id));
        Assert.Equal(ids.Reverse().Skip(3).Take(3), page2.Select(j => j.Id));
        Assert.Equal([ids[0]], page3.Select(j => j.Id));
        Assert.Empty(await Store.ListAsync(new JobQuery { BeforeId = ids[0] }, Ct));
    }

    [Fact]
    public async Task ListAsync_Filters_CombineStatesQueueAndKind()
    {
        var mailA = await InsertAsync(NewJob(kind: "mail", queue: "q1"));
        var mailRunning = await InsertAsync(NewJob(kind: "mail", queue: "q1"));
        await FetchJobAsync(mailRunning, queue: "q1");
        var smsA = await InsertAsync(NewJob(kind: "sms", queue: "q1"));
        var mailOtherQueue = await InsertAsync(NewJob(kind: "mail", queue: "q2"));
        var scheduled = await InsertAsync(NewJob(kind: "mail", queue: "q1", scheduledAt: At(60)));

        var byKind = await Store.ListAsync(new JobQuery { Kind = "mail" }, Ct);
        var byQueue = await Store.ListAsync(new JobQuery { Queue = "q1" }, Ct);
        var byStates = await Store.ListAsync(new JobQuery { States = [JobState.Available, JobState.Scheduled] }, Ct);
        var combined = await Store.ListAsync(new JobQuery { Kind = "mail", Queue = "q1", States = [JobState.Available] }, Ct);
        var none = await Store.ListAsync(new JobQuery { States = [JobState.Completed] }, Ct);

        Assert.Equal([scheduled, mailOtherQueue, mailRunning, mailA], byKind.Select(j => j.Id));
        Assert.Equal([scheduled, smsA, mailRunning, mailA], byQueue.Select(j => j.Id));
        Assert.Equal([scheduled, mailOtherQueue, smsA, mailA], byStates.Select(j => j.Id));
        Assert.Equal([mailA], combined.Select(j => j.Id));
        Assert.Empty(none);
    }

    [Fact]
    public async Task ListAsync_Tag_FindsOnlyJobsCarryingIt()
    {
        var tagged = await InsertAsync(NewJob() with { Tags = ["run:7", "sync"] });
        await InsertAsync(NewJob() with { Tags = ["run:70"] });
        await InsertAsync(NewJob());
        var otherState = await InsertAsync(NewJob() with { Tags = ["run:7"] });
        await FetchJobAsync(otherState);

        Assert.Equal([otherState, tagged], (await Store.ListAsync(new JobQuery { Tag = "run:7" }, Ct)).Select(j => j.Id));
        Assert.Equal([tagged], (await Store.ListAsync(new JobQuery { Tag = "run:7", States = [JobState.Available] }, Ct)).Select(j => j.Id));
        Assert.Empty(await Store.ListAsync(new JobQuery { Tag = "run" }, Ct));
    }

    [Fact]
    public async Task ListAsync_Limit_CapsTheResult()
    {
        await InsertManyAsync(5);

        Assert.Equal(2, (await Store.ListAsync(new JobQuery { Limit = 2 }, Ct)).Count);
    }

    [Fact]
    public async Task ListIdsAsync_IsListAsyncsIds_WithEveryFilterAndPage()
    {
        var ids = await InsertManyAsync(5);
        var mail = await InsertAsync(NewJob(kind: "mail", queue: "q1") with { Tags = ["run:7"] });
        var running = await InsertAsync(NewJob(kind: "mail", queue: "q1") with { Tags = ["run:7"] });
        await FetchJobAsync(running, queue: "q1");
        await InsertAsync(NewJob(kind: "mail", queue: "q2") with { Tags = ["run:70"] });
        JobQuery[] queries =
        [
            new() { Limit = 3 },
            new() { Limit = 3, BeforeId = ids[3] },
            new() { Kind = "mail" },
            new() { Queue = "q1", States = [JobState.Available, JobState.Running] },
            new() { Tag = "run:7", States = [JobState.Running] },
            new() { Tag = "run:7", Kind = "sms" },
        ];

        foreach (var query in queries)
            Assert.Equal((await Store.ListAsync(query, Ct)).Select(j => j.Id), await Store.ListIdsAsync(query, Ct));
        Assert.Equal([running, mail], await Store.ListIdsAsync(new JobQuery { Tag = "run:7" }, Ct));
    }

    [Fact]
    public async Task GetStatsAsync_MixedJobs_CountsByQueueAndState()
    {
        await InsertInStateAsync(JobState.Available);
        await InsertInStateAsync(JobState.Available);
        await InsertInStateAsync(JobState.Scheduled);
        await InsertInStateAsync(JobState.Running);
        await InsertInStateAsync(JobState.Completed);
        await InsertInStateAsync(JobState.Discarded);
        await InsertAsync(NewJob(queue: "other"));

        var stats = await Store.GetStatsAsync(T0, Ct);

        Assert.Equal(["default", "other"], stats.Queues.Select(q => q.Queue).Order(StringComparer.Ordinal));
        var counts = stats.Queues.Single(q => q.Queue == "default").Counts;
        Assert.Equal(2, counts.GetValueOrDefault(JobState.Available));
        Assert.Equal(1, counts.GetValueOrDefault(JobState.Scheduled));
        Assert.Equal(1, counts.GetValueOrDefault(JobState.Running));
        Assert.Equal(1, counts.GetValueOrDefault(JobState.Completed));
        Assert.Equal(1, counts.GetValueOrDefault(JobState.Discarded));
        Assert.Equal(0, counts.GetValueOrDefault(JobState.Cancelled));
        Assert.Equal(0, counts.GetValueOrDefault(JobState.Retryable));
        Assert.Equal(1, stats.Queues.Single(q => q.Queue == "other").Counts.GetValueOrDefault(JobState.Available));
    }

    [Fact]
    public async Task GetStatsAsync_FinalizedSince_CountsFinalJobsAtOrAfter()
    {
        await InsertInStateAsync(JobState.Cancelled); // finalized at T0
        await InsertInStateAsync(JobState.Completed); // finalized at At(1)
        await InsertInStateAsync(JobState.Discarded); // finalized at At(1)
        await InsertInStateAsync(JobState.Retryable);

        Assert.Equal(3, (await Store.GetStatsAsync(T0, Ct)).FinalizedSince);
        Assert.Equal(2, (await Store.GetStatsAsync(At(1), Ct)).FinalizedSince);
        Assert.Equal(0, (await Store.GetStatsAsync(At(1).AddMicroseconds(1), Ct)).FinalizedSince);
    }

    [Fact]
    public async Task GetStatsAsync_EmptyStore_HasNoQueues()
    {
        var stats = await Store.GetStatsAsync(T0, Ct);

        Assert.Empty(stats.Queues);
        Assert.Equal(0, stats.FinalizedSince);
    }
}
