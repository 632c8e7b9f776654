using System.Collections.Concurrent;
using Pacer.Tests.Engine;

namespace Pacer.Tests.Resources;

/// <summary>Admission in a running engine on SQLite, with a fake clock: what starts when, and what waits without an attempt.</summary>
public sealed class ResourceEngineTests
{
    private static Task<EngineHarness> Start(Probe probe, Action<PacerBuilder> resources, Action<JobKindOptions>? kind = null, Action<PacerOptions>? options = null) =>
        EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work", k => { k.MaxAttempts = 3; kind?.Invoke(k); });
                resources(p);
            },
            o =>
            {
                o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                options?.Invoke(o);
            });

    [Fact]
    public async Task Rate_JobsStartOnePermitApart_NeverSooner()
    {
        var probe = new Probe();
        var starts = new ConcurrentQueue<DateTimeOffset>();
        await using var h = await Start(probe, p => p.AddResource("api", r => r.Rate = "10/s"), k => k.Claims.Add(new ResourceClaim("api")));
        probe.Run = (_, _) =>
        {
            starts.Enqueue(h.Time.GetUtcNow());
            return Task.CompletedTask;
        };

        await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 10).Select(_ => new EnqueueRequest("work", "{}"))]);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 10), TimeSpan.FromMilliseconds(5), maxSteps: 5000);

        // A handler notes the clock when it runs, which may be a step after it was let in (the test moves the clock
        // on its own); so check against the schedule: the i-th start never before i permits' time, none much after.
        var times = starts.Order().ToArray();
        Assert.Equal(10, times.Length);
        for (var i = 0; i < times.Length; i++)
        {
            var due = EngineHarness.Start + TimeSpan.FromMilliseconds(100 * i);
            Assert.True(times[i] >= due, $"start {i} came at +{(times[i] - EngineHarness.Start).TotalMilliseconds} ms, before its permit at +{100 * i} ms");
            Assert.True(times[i] < due + TimeSpan.FromMilliseconds(100), $"start {i} came at +{(times[i] - EngineHarness.Start).TotalMilliseconds} ms, late for its permit at +{100 * i} ms");
        }
        Assert.Equal(0, h.Count("pacer.jobs.failed"));
    }

    [Fact]
    public async Task Quota_The101stUnitIsNeverSpentBeforeTheReset_ThenWorkResumesByItself()
    {
        var probe = new Probe();
        var runs = 0;
        probe.Run = (_, _) =>
        {
            Interlocked.Increment(ref runs);
            return Task.CompletedTask;
        };
        await using var h = await Start(probe, p => p.AddResource("api", r => r.Quota = "100/day@America/Los_Angeles"), k => k.Claims.Add(new ResourceClaim("api")));

        var ids = (await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 120).Select(_ => new EnqueueRequest("work", "{}"))])).Select(r => r.Id).ToArray();
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 100), TimeSpan.FromMilliseconds(50));

        // Harness time is 2026-11-25 12:00 UTC; the Pacific day resets at 2026-11-26 08:00 UTC.
        var reset = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
        while (h.Time.GetUtcNow() < reset - TimeSpan.FromMinutes(10))
        {
            h.Time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(5);
        }
        Assert.Equal(100, Volatile.Read(ref runs));
        var waiting = await h.Store.ListAsync(new Storage.JobQuery { States = [JobState.Waiting], Limit = 200 }, CancellationToken.None);
        Assert.Equal(20, waiting.Count);
        Assert.All(waiting, j => Assert.Equal(0, j.Attempt));
        Assert.All(waiting, j => Assert.Equal("waiting for api quota (100/day@America/Los_Angeles), resets 2026-11-26 08:00:00 UTC", j.WaitReason));

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 120), TimeSpan.FromSeconds(1), maxSteps: 2000);
        Assert.Equal(120, Volatile.Read(ref runs));
        Assert.True(h.Time.GetUtcNow() >= reset);
        Assert.All(await Task.WhenAll(ids.Select(h.GetAsync)), j => Assert.Equal(1, j.Attempt));
    }

    [Fact]
    public async Task Concurrency_AtMostTheCapRun_AndReturnedPermitsWakeTheWaiters()
    {
        var probe = new Probe();
        var running = 0;
        var most = 0;
        var gate = new SemaphoreSlim(0);
        probe.Run = async (_, c) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await gate.WaitAsync(c.CancellationToken);
            Interlocked.Decrement(ref running);
        };
        await using var h = await Start(probe, p => p.AddResource("session", r => r.Concurrency = 2), k => k.Claims.Add(new ResourceClaim("session")));

        await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 12).Select(_ => new EnqueueRequest("work", "{}"))]);
        var done = h.WaitForCountAsync("pacer.jobs.completed", 12);
        // The clock does not move: only returned permits can wake the parked jobs, not the recheck timer.
        for (var i = 0; i < 200 && !done.IsCompleted; i++)
        {
            gate.Release();
            await Task.WhenAny(done, Task.Delay(20));
        }
        await done;
        Assert.Equal(2, most);
        Assert.Equal(0, h.Count("pacer.jobs.failed"));
    }

    [Fact]
    public async Task Template_EachAccountRunsOneAtATime_AccountsInParallel()
    {
        var probe = new Probe();
        var active = new ConcurrentDictionary<string, int>();
        var overlap = 0;
        var gate = new SemaphoreSlim(0);
        var entered = 0;
        var threeInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (w, c) =>
        {
            if (active.AddOrUpdate(w.Name, 1, (_, n) => n + 1) > 1)
                Interlocked.Increment(ref overlap);
            if (Interlocked.Increment(ref entered) == 3)
                threeInside.TrySetResult();
            await gate.WaitAsync(c.CancellationToken);
            active.AddOrUpdate(w.Name, 0, (_, n) => n - 1);
        };
        await using var h = await Start(probe, p => p.AddResource("account:{Name}", r => r.Concurrency = 1), k => k.Claims.Add(new ResourceClaim("account:{Name}")));

        var jobs = await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 9).Select(i => new EnqueueRequest("work", $$"""{"name":"a{{i % 3}}"}"""))]);
        Assert.Equal("account:a1", Assert.Single((await h.GetAsync(jobs[1].Id)).Claims).Resource);
        // The started counter is recorded before the handler body runs, so wait for the handlers themselves.
        await threeInside.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, active.Values.Sum());
        Assert.Equal(3, active.Count);
        var done = h.WaitForCountAsync("pacer.jobs.completed", 9);
        for (var i = 0; i < 200 && !done.IsCompleted; i++)
        {
            gate.Release();
            await Task.WhenAny(done, Task.Delay(20));
        }
        await done;
        Assert.Equal(0, overlap);
    }

    [Fact]
    public async Task Enqueue_TemplateFieldMissing_IsRefusedAndStoresNothing()
    {
        await using var h = await Start(new Probe(), p => p.AddResource("account:{AccountId}", r => r.Concurrency = 1),
            k => k.Claims.Add(new ResourceClaim("account:{AccountId}")));

        var error = await Assert.ThrowsAsync<JobArgsException>(() => h.Client.EnqueueAsync("work", """{"name":"x"}"""));

        Assert.Contains("no 'AccountId' field", error.Message, StringComparison.Ordinal);
        Assert.Empty(await h.Store.ListAsync(new Storage.JobQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task Enqueue_ClaimCostingMoreThanTheWholeQuota_IsRefused()
    {
        await using var h = await Start(new Probe(), p => p.AddResource("api", r => r.Quota = "100/day"));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => h.Client.EnqueueAsync("work", "{}", new EnqueueOptions { Claims = [new ResourceClaim("api", 101)] }));

        Assert.Contains("more than its whole quota (100/day)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandlerReportsLimited_ResourcePausesForEveryJob_AndTheJobWaitsWithoutAnAttempt()
    {
        var probe = new Probe();
        var calls = 0;
        probe.Run = (_, _) => Interlocked.Increment(ref calls) == 1
            ? throw ResourceUnavailableException.Limited("api", TimeSpan.FromSeconds(30), "429 Too Many Requests")
            : Task.CompletedTask;
        await using var h = await Start(probe, p => p.AddResource("api", r => r.Rate = "100/s"), k => k.Claims.Add(new ResourceClaim("api")));

        var first = await h.Client.EnqueueAsync("work", "{}");
        await h.WaitForCountAsync("pacer.jobs.snoozed", 1);
        var second = await h.Client.EnqueueAsync("work", "{}");
        await h.AdvanceUntilAsync(Task.Delay(300), TimeSpan.FromMilliseconds(100), maxSteps: 5);

        var row = await h.GetAsync(first.Id);
        Assert.Equal(JobState.Waiting, row.State);
        Assert.Equal(0, row.Attempt);
        Assert.Equal("api", row.WaitingOn);
        Assert.Contains("429 Too Many Requests", row.WaitReason, StringComparison.Ordinal);
        Assert.NotEqual(JobState.Completed, (await h.GetAsync(second.Id)).State); // paused for everyone
        Assert.Equal(1, Volatile.Read(ref calls));

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 2), TimeSpan.FromSeconds(1), maxSteps: 100);
        Assert.True(h.Time.GetUtcNow() >= EngineHarness.Start.AddSeconds(30));
        Assert.Equal(1, (await h.GetAsync(first.Id)).Attempt);
    }

    [Fact]
    public async Task HandlerRefusedAPermitMidRun_WaitsWithTheRefusalsOwnWords()
    {
        var probe = new Probe();
        IPacerResources? resources = null;
        probe.Run = async (_, c) =>
        {
            using var lease = await resources!.AcquireAsync("api", 1, c.CancellationToken);
        };
        // No claim: the job spends the quota itself, as a call through the HTTP integration does.
        await using var h = await Start(probe, p => p.AddResource("api", r => r.Quota = "1/day@America/Los_Angeles"));
        resources = (IPacerResources)h.Host.Services.GetService(typeof(IPacerResources))!;

        await h.Client.EnqueueAsync("work", "{}");
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromMilliseconds(50));
        var second = await h.Client.EnqueueAsync("work", "{}");
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.snoozed", 1), TimeSpan.FromMilliseconds(50));

        var row = await h.GetAsync(second.Id);
        Assert.Equal(JobState.Waiting, row.State);
        Assert.Equal("api", row.WaitingOn);
        // Once, not "waiting for api: waiting for api quota ...".
        Assert.Equal("waiting for api quota (1/day@America/Los_Angeles), resets 2026-11-26 08:00:00 UTC", row.WaitReason);
    }

    [Fact]
    public async Task PauseAndResume_ByHand_HoldAndReleaseTheResourcesJobs()
    {
        var probe = new Probe();
        await using var h = await Start(probe, p => p.AddResource("api", r => r.Concurrency = 10), k => k.Claims.Add(new ResourceClaim("api")));
        var resources = h.Host.Services.GetService(typeof(IPacerResources)) as IPacerResources;
        await resources!.PauseAsync("api", reason: "provider maintenance");

        var job = await h.Client.EnqueueAsync("work", "{}");
        await h.AdvanceUntilAsync(Task.Delay(500), TimeSpan.FromMilliseconds(100), maxSteps: 10);
        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Waiting, row.State);
        Assert.Equal("waiting for api: paused until resumed (provider maintenance)", row.WaitReason);
        var status = Assert.Single(await resources.ListAsync(), s => s.Name == "api");
        Assert.True(status.Paused);
        Assert.Equal(1, status.Waiting);

        await resources.ResumeAsync("api");
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
        await Assert.ThrowsAsync<ArgumentException>(() => resources.PauseAsync("nope"));
    }

    [Fact]
    public async Task PausedQueue_StartsNothing_UntilResumed()
    {
        var probe = new Probe();
        await using var h = await Start(probe, _ => { });
        var resources = (IPacerResources)h.Host.Services.GetService(typeof(IPacerResources))!;
        await resources.PauseQueueAsync("default");

        await h.Client.EnqueueAsync("work", "{}");
        await h.AdvanceUntilAsync(Task.Delay(400), TimeSpan.FromMilliseconds(100), maxSteps: 10);
        Assert.Equal(0, h.Count("pacer.jobs.started"));

        await resources.ResumeQueueAsync("default");
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
    }

    [Fact]
    public async Task IdlePartitions_AreForgotten_UnlessTheyRememberSomething()
    {
        var probe = new Probe();
        await using var h = await Start(probe, p => p
            .AddResource("rate:{Name}", r => r.Rate = "10/s")
            .AddResource("quota:{Name}", r => r.Quota = "100/day"),
            k => { k.Claims.Add(new ResourceClaim("rate:{Name}")); k.Claims.Add(new ResourceClaim("quota:{Name}")); });

        await h.Client.EnqueueAsync("work", """{"name":"a1"}""");
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
        Assert.Equal(["quota:a1", "rate:a1"], (await h.Store.ListResourcesAsync(CancellationToken.None)).Select(r => r.Name));

        var gone = EngineHarness.UntilAsync(async () => (await h.Store.ListResourcesAsync(CancellationToken.None)).Count == 1);
        await h.AdvanceUntilAsync(gone, TimeSpan.FromSeconds(30), maxSteps: 200);
        // The rate partition is idle and has nothing to remember; the quota partition still counts today's unit.
        Assert.Equal("quota:a1", Assert.Single(await h.Store.ListResourcesAsync(CancellationToken.None)).Name);
        Assert.True(h.Time.GetUtcNow() >= EngineHarness.Start + Pacer.Engine.Maintenance.PartitionIdleTimeout);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
