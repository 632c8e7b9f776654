namespace Pacer.Storage.Conformance;

/// <summary>The store's part of admission: it lists, reads, calls the decider and applies its decision in one transaction.</summary>
public abstract partial class JobStoreConformanceTests
{
    private static JobInsert ClaimingJob(string resource, int cost = 1, int priority = 0, DateTimeOffset? scheduledAt = null) =>
        NewJob(priority: priority, scheduledAt: scheduledAt) with { Claims = [new ResourceClaim(resource, cost)] };

    private Task<AdmissionFetchResult> AdmitAsync(AdmissionDecider decide, int limit = 10, int candidates = 40, DateTimeOffset? now = null, string queue = "default") =>
        Store.FetchWithAdmissionAsync(new AdmissionFetchRequest(new FetchRequest(queue, limit, now ?? T0, Lease, Worker), candidates, decide), Ct);

    private static AdmissionDecision Decision(IReadOnlyList<long>? admit = null, IReadOnlyList<JobWait>? park = null, IReadOnlyList<ResourceWrite>? writes = null, DateTimeOffset? next = null) =>
        new(admit ?? [], park ?? [], writes ?? [], next);

    [Fact]
    public async Task FetchWithAdmission_DeciderSeesCandidatesInDispatchOrderAndOnlyWithinTheLimit()
    {
        var low = await InsertAsync(NewJob(priority: 0));
        var high = await InsertAsync(NewJob(priority: 5));
        await InsertAsync(NewJob(priority: 0, scheduledAt: At(60))); // not due
        IReadOnlyList<long>? seen = null;

        await AdmitAsync(input =>
        {
            seen = [.. input.Candidates.Select(c => c.Id)];
            return Decision();
        }, candidates: 5);

        Assert.Equal([high, low], seen);
    }

    [Fact]
    public async Task FetchWithAdmission_ClaimsOnlyAdmittedJobs_WithLeases()
    {
        var ids = await InsertManyAsync(3);

        var result = await AdmitAsync(_ => Decision(admit: [ids[2], ids[0]]));

        Assert.Equal([ids[0], ids[2]], result.Jobs.Select(j => j.Job.Id).Order());
        Assert.All(result.Jobs, j => Assert.Equal(JobState.Running, j.Job.State));
        Assert.All(result.Jobs, j => Assert.Equal(1, j.Job.Attempt));
        Assert.Equal(JobState.Available, (await GetAsync(ids[1])).State);
        Assert.True(await CompleteAsync(new JobCompletion(ids[0], result.Jobs.Single(j => j.Job.Id == ids[0]).LeaseToken, CompletionKind.Completed, At(1))));
    }

    [Fact]
    public async Task FetchWithAdmission_NeverClaimsMoreThanTheLimit()
    {
        var ids = await InsertManyAsync(5);

        var result = await AdmitAsync(_ => Decision(admit: ids), limit: 2);

        Assert.Equal(2, result.Jobs.Count);
    }

    [Fact]
    public async Task FetchWithAdmission_ResourcesAndRunningCosts_AreThoseOfTheClaimedNames()
    {
        var running = await InsertAsync(ClaimingJob("api", cost: 2));
        await InsertAsync(ClaimingJob("other", cost: 7));
        await FetchJobAsync(running);
        await FetchJobAsync(await InsertAsync(ClaimingJob("other", cost: 7)));
        var waiting = await InsertAsync(ClaimingJob("api"));
        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api", "unrelated"], T0, _ =>
            new ResourceUpdate<int>([new ResourceWrite("api", "{\"x\":1}"), new ResourceWrite("unrelated", "{}")], 0)), Ct);
        AdmissionInput? seen = null;

        await AdmitAsync(input =>
        {
            seen = input;
            return Decision();
        });

        Assert.Contains(seen!.Candidates, c => c.Id == waiting);
        Assert.Equal("{\"x\":1}", seen.Resources["api"].State);
        Assert.False(seen.Resources.ContainsKey("unrelated"));
        Assert.Equal(2, seen.RunningCosts["api"]);
        Assert.Equal(7, seen.RunningCosts["other"]);
        Assert.Equal(T0, seen.Now);
    }

    [Fact]
    public async Task FetchWithAdmission_ParkedJobsWaitWithTheirReason_AndUseNoAttempt()
    {
        var id = await InsertAsync(ClaimingJob("api"));

        var result = await AdmitAsync(_ => Decision(park: [new JobWait(id, At(3600), "api", "waiting for api quota, resets 13:00 UTC")]));

        Assert.Equal(1, result.Parked);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Waiting, job.State);
        Assert.Equal("api", job.WaitingOn);
        Assert.Equal("waiting for api quota, resets 13:00 UTC", job.WaitReason);
        Assert.Equal(At(3600), job.WaitUntil);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(T0, job.ScheduledAt); // its place in line is kept
        Assert.Empty(await FetchAsync(10, At(60)));
        Assert.Empty(await Store.ListDueAsync(new ListDueRequest("default", 10, At(60)), Ct));
    }

    [Fact]
    public async Task FetchWithAdmission_WritesResourceStates()
    {
        await InsertAsync(ClaimingJob("api"));

        await AdmitAsync(_ => Decision(writes: [new ResourceWrite("api", "{\"v\":1}")]), now: At(5));

        var row = Assert.Single(await Store.ListResourcesAsync(Ct));
        Assert.Equal(new ResourceRow("api", "{\"v\":1}", At(5)), row);
    }

    [Fact]
    public async Task FetchWithAdmission_ReturnsTheDecidersNextCheck()
    {
        await InsertAsync(ClaimingJob("api"));

        var result = await AdmitAsync(_ => Decision(next: At(0.02)));

        Assert.Equal(At(0.02), result.NextCheckAt);
    }

    [Fact]
    public async Task PausedQueue_YieldsNothingToEitherFetch_UntilResumed()
    {
        var id = await InsertAsync(NewJob());
        await Store.SetQueuePausedAsync("default", paused: true, T0, Ct);
        var called = false;

        Assert.Empty(await FetchAsync(10));
        Assert.Empty((await AdmitAsync(_ =>
        {
            called = true;
            return Decision();
        })).Jobs);
        Assert.False(called);
        Assert.Equal([new QueueState("default", true, T0)], await Store.ListQueueStatesAsync(Ct));

        await Store.SetQueuePausedAsync("default", paused: false, At(1), Ct);
        Assert.Equal(id, Assert.Single(await FetchAsync(10)).Job.Id);
    }

    [Fact]
    public async Task PausedQueue_HoldsTheQueuesNamedAfterIt_AndOnlyThose()
    {
        var machine = await InsertAsync(NewJob(queue: "default:web-1"));
        var lookalike = await InsertAsync(NewJob(queue: "defaults"));
        var nested = await InsertAsync(NewJob(queue: "other:default"));
        await Store.SetQueuePausedAsync("default", paused: true, T0, Ct);

        Assert.Empty(await FetchAsync(10, queue: "default:web-1"));
        Assert.Empty((await AdmitAsync(_ => Decision(admit: [machine]), queue: "default:web-1")).Jobs);
        Assert.Equal(lookalike, Assert.Single(await FetchAsync(10, queue: "defaults")).Job.Id);
        Assert.Equal(nested, Assert.Single(await FetchAsync(10, queue: "other:default")).Job.Id);

        // Its own pause holds it too, and resuming the parent leaves that one in place.
        await Store.SetQueuePausedAsync("default:web-1", paused: true, At(1), Ct);
        await Store.SetQueuePausedAsync("default", paused: false, At(2), Ct);
        Assert.Empty(await FetchAsync(10, queue: "default:web-1"));
        await Store.SetQueuePausedAsync("default:web-1", paused: false, At(3), Ct);
        Assert.Equal(machine, Assert.Single(await FetchAsync(10, queue: "default:web-1")).Job.Id);
    }

    [Fact]
    public async Task PromoteDue_WaitingJobsWhoseTimeCame_BecomeAvailableInTheirOldPlace()
    {
        var first = await InsertAsync(ClaimingJob("api"));
        var second = await InsertAsync(NewJob(scheduledAt: At(1)));
        await AdmitAsync(_ => Decision(park: [new JobWait(first, At(10), "api", "r")]));

        Assert.Equal(1, await Store.PromoteDueAsync(At(9), 100, Ct)); // the scheduled one only
        Assert.Equal(JobState.Waiting, (await GetAsync(first)).State);
        Assert.Equal(1, await Store.PromoteDueAsync(At(10), 100, Ct));

        var job = await GetAsync(first);
        Assert.Equal(JobState.Available, job.State);
        Assert.Null(job.WaitingOn);
        Assert.Null(job.WaitReason);
        Assert.Null(job.WaitUntil);
        Assert.Equal([first, second], (await FetchAsync(10, At(10))).Select(f => f.Job.Id));
    }

    [Fact]
    public async Task WakeWaiting_WakesThatResourcesWaitersInDispatchOrder_UpToTheLimit()
    {
        var a1 = await InsertAsync(ClaimingJob("a", priority: 0));
        var a2 = await InsertAsync(ClaimingJob("a", priority: 9));
        var a3 = await InsertAsync(ClaimingJob("a", priority: 0));
        var b = await InsertAsync(ClaimingJob("b"));
        await AdmitAsync(_ => Decision(park: [.. new[] { a1, a2, a3 }.Select(id => new JobWait(id, At(3600), "a", "r")), new JobWait(b, At(3600), "b", "r")]));
        Assert.Equal(new Dictionary<string, long> { ["a"] = 3, ["b"] = 1 }, await Store.CountWaitingAsync(Ct));

        Assert.Equal(2, await Store.WakeWaitingAsync(new WakeRequest("a", 2, T0), Ct));

        Assert.Equal(JobState.Available, (await GetAsync(a2)).State);
        Assert.Equal(JobState.Available, (await GetAsync(a1)).State);
        Assert.Equal(JobState.Waiting, (await GetAsync(a3)).State);
        Assert.Equal(JobState.Waiting, (await GetAsync(b)).State);
    }

    [Fact]
    public async Task Complete_WithRelease_WakesThatManyWaitersInTheSameTransaction()
    {
        var holder = await InsertAsync(ClaimingJob("session"));
        var fetched = await FetchJobAsync(holder);
        var waiter = await InsertAsync(ClaimingJob("session"));
        var other = await InsertAsync(ClaimingJob("session"));
        await AdmitAsync(_ => Decision(park: [new JobWait(waiter, At(3600), "session", "r"), new JobWait(other, At(3600), "session", "r")]));

        Assert.True(await CompleteAsync(new JobCompletion(holder, fetched.LeaseToken, CompletionKind.Completed, At(1)) { Release = [new ResourceClaim("session", 1)] }));

        Assert.Equal(JobState.Available, (await GetAsync(waiter)).State);
        Assert.Equal(JobState.Waiting, (await GetAsync(other)).State);
    }

    [Fact]
    public async Task Complete_RejectedWithRelease_WakesNobody()
    {
        var holder = await InsertAsync(ClaimingJob("session"));
        var fetched = await FetchJobAsync(holder);
        var waiter = await InsertAsync(ClaimingJob("session"));
        await AdmitAsync(_ => Decision(park: [new JobWait(waiter, At(3600), "session", "r")]));

        Assert.False(await CompleteAsync(new JobCompletion(holder, fetched.LeaseToken + 1, CompletionKind.Completed, At(1)) { Release = [new ResourceClaim("session", 1)] }));

        Assert.Equal(JobState.Waiting, (await GetAsync(waiter)).State);
    }

    [Fact]
    public async Task Snooze_WithWait_WaitsForTheResource_KeepsItsPlace_AndGivesTheAttemptBack()
    {
        var id = await InsertAsync(ClaimingJob("api"));
        var fetched = await FetchJobAsync(id);

        Assert.True(await CompleteAsync(new JobCompletion(id, fetched.LeaseToken, CompletionKind.Snooze, At(1))
        {
            RunAt = At(90),
            Wait = new ResourceWaitInfo("api", "waiting for api: 429 Too Many Requests"),
        }));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Waiting, job.State);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(T0, job.ScheduledAt);
        Assert.Equal(At(90), job.WaitUntil);
        Assert.Equal("api", job.WaitingOn);
        Assert.Equal("waiting for api: 429 Too Many Requests", job.WaitReason);
        AssertNoLease(job);
    }

    [Fact]
    public async Task WaitingJob_CanBeCancelled_AndIsAlreadyWaitingForARetry()
    {
        var id = await InsertAsync(ClaimingJob("api"));
        await AdmitAsync(_ => Decision(park: [new JobWait(id, At(3600), "api", "r")]));

        Assert.Equal(RetryResult.AlreadyWaiting, await Store.RetryAsync(id, T0, Ct));
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(id, T0, Ct));

        var job = await GetAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Null(job.WaitingOn);
    }

    [Fact]
    public async Task WaitingJob_KeepsItsUniqueKey()
    {
        var id = await InsertAsync(ClaimingJob("api") with { UniqueKey = "k" });
        await AdmitAsync(_ => Decision(park: [new JobWait(id, At(3600), "api", "r")]));

        var again = await Store.InsertManyAsync(new InsertManyRequest([NewJob(uniqueKey: "k")], T0), Ct);

        Assert.Equal(new InsertResult(id, Existing: true), again[0]);
    }

    [Fact]
    public async Task UpdateResources_ReadsModifiesAndWritesInOneTransaction()
    {
        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api"], T0, input =>
        {
            Assert.Empty(input.Resources);
            return new ResourceUpdate<int>([new ResourceWrite("api", "1")], 0);
        }), Ct);

        var result = await Store.UpdateResourcesAsync(new ResourceUpdateRequest<string>(["api", "missing"], At(1), input =>
            new ResourceUpdate<string>([new ResourceWrite("api", (int.Parse(input.Resources["api"].State, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))], input.Resources["api"].State)), Ct);

        Assert.Equal("1", result);
        Assert.Equal(new ResourceRow("api", "2", At(1)), Assert.Single(await Store.ListResourcesAsync(Ct)));
    }

    [Fact]
    public async Task UpdateResources_ConcurrentIncrements_AreNeverLost()
    {
        await Parallel.ForAsync(0, 50, async (_, ct) =>
            await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["counter"], T0, input =>
            {
                var value = input.Resources.TryGetValue("counter", out var row) ? int.Parse(row.State, System.Globalization.CultureInfo.InvariantCulture) : 0;
                return new ResourceUpdate<int>([new ResourceWrite("counter", (value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))], value);
            }), ct));

        Assert.Equal("50", Assert.Single(await Store.ListResourcesAsync(Ct)).State);
    }

    [Fact]
    public async Task UpdateResources_RunningCosts_OnlyWhenAsked()
    {
        await FetchJobAsync(await InsertAsync(ClaimingJob("api", cost: 3)));
        IReadOnlyDictionary<string, int>? plain = null, asked = null;

        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api"], T0, input => { plain = input.RunningCosts; return new([], 0); }), Ct);
        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api"], T0, input => { asked = input.RunningCosts; return new([], 0); }) { IncludeRunningCosts = true }, Ct);

        Assert.Empty(plain!);
        Assert.Equal(3, asked!["api"]);
    }

    [Fact]
    public async Task UpdateResources_Wake_MakesEveryWaiterOfThatResourceAvailable()
    {
        var ids = await InsertManyAsync(3, _ => ClaimingJob("api"));
        await AdmitAsync(_ => Decision(park: [.. ids.Select(id => new JobWait(id, At(3600), "api", "r"))]));

        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api"], T0, _ => new ResourceUpdate<int>([], 0) { Wake = ["api"] }), Ct);

        Assert.Equal(3, (await FetchAsync(10)).Count);
    }

    [Fact]
    public async Task DeleteResources_OnlyRowsNotWrittenSinceTheyWereRead()
    {
        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["a", "b"], T0, _ => new([new ResourceWrite("a", "{}"), new ResourceWrite("b", "{}")], 0)), Ct);
        var rows = await Store.ListResourcesAsync(Ct);
        await Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["b"], At(1), _ => new([new ResourceWrite("b", "{\"busy\":1}")], 0)), Ct);

        Assert.Equal(1, await Store.DeleteResourcesAsync(rows, Ct));

        Assert.Equal("b", Assert.Single(await Store.ListResourcesAsync(Ct)).Name);
    }

    [Fact]
    public async Task HttpCache_StoresAndReplacesEntries()
    {
        Assert.Null(await Store.GetHttpCacheAsync("k", Ct));
        var entry = new HttpCacheEntry("k", "https://api.example.org/v1/items", "\"abc\"", null, 200, "{\"Content-Type\":[\"application/json\"]}", [1, 2, 3], T0);
        await Store.PutHttpCacheAsync(entry, Ct);

        var read = await Store.GetHttpCacheAsync("k", Ct);
        Assert.Equal(entry with { Body = [] }, read! with { Body = [] });
        Assert.Equal(entry.Body, read.Body);

        await Store.PutHttpCacheAsync(entry with { ETag = "\"def\"", Body = [9] }, Ct);
        read = await Store.GetHttpCacheAsync("k", Ct);
        Assert.Equal("\"def\"", read!.ETag);
        Assert.Equal([(byte)9], read.Body);
    }

    [Fact]
    public async Task HttpCache_EntriesStoredBeforeTheCutOff_AreDeleted_UpToTheLimit()
    {
        foreach (var (key, at) in new[] { ("old-1", T0), ("old-2", At(10)), ("new", At(100)) })
            await Store.PutHttpCacheAsync(new HttpCacheEntry(key, "https://api.example.org/v1/" + key, "\"e\"", null, 200, "{}", [1], at), Ct);

        Assert.Equal(0, await Store.DeleteHttpCacheAsync(At(50), 0, Ct));
        Assert.Equal(1, await Store.DeleteHttpCacheAsync(At(50), 1, Ct));
        Assert.Equal(1, await Store.DeleteHttpCacheAsync(At(50), 10, Ct));
        Assert.Equal(0, await Store.DeleteHttpCacheAsync(At(50), 10, Ct));

        Assert.Null(await Store.GetHttpCacheAsync("old-1", Ct));
        Assert.Null(await Store.GetHttpCacheAsync("old-2", Ct));
        Assert.NotNull(await Store.GetHttpCacheAsync("new", Ct));
    }
}
