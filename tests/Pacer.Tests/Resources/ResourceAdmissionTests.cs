using Pacer.Admission;
using Pacer.Resources;
using Pacer.Storage;

namespace Pacer.Tests.Resources;

/// <summary>The admission decision alone: candidates and stored states in, grants, parks and writes out.</summary>
public sealed class ResourceAdmissionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly AdmissionSettings Settings = new(ParkAfter: TimeSpan.FromSeconds(3), WakeEarly: TimeSpan.FromSeconds(2), Recheck: TimeSpan.FromSeconds(30), Lead: TimeSpan.FromMilliseconds(50));

    /// <summary>Runs passes against a store kept in a dictionary, as the real store would between transactions.</summary>
    private sealed class Bench(Dictionary<string, ResourceOptions> resources)
    {
        private readonly ResourceAdmission _admission = new(new ResourceCatalogSource(ResourceCatalog.Create(resources)), Settings);
        public Dictionary<string, ResourceRow> Rows { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Running { get; } = new(StringComparer.Ordinal);

        public AdmissionDecision Pass(IReadOnlyList<JobRecord> candidates, int slots, DateTimeOffset now)
        {
            var decision = _admission.Decide(new AdmissionInput([.. candidates.Select(c => new AdmissionCandidate(c.Id, c.Claims))], Rows, Running, now), slots);
            foreach (var write in decision.Writes)
                Rows[write.Name] = new ResourceRow(write.Name, write.State, now);
            return decision;
        }
    }

    private static JobRecord Job(long id, params (string Resource, int Cost)[] claims) => Job(id, 0, claims);

    private static JobRecord Job(long id, int priority, params (string Resource, int Cost)[] claims) => new()
    {
        Id = id,
        Kind = "k",
        Queue = "default",
        Priority = priority,
        Args = "{}",
        State = JobState.Available,
        Attempt = 0,
        MaxAttempts = 5,
        ScheduledAt = T0,
        CreatedAt = T0,
        Claims = [.. claims.Select(c => new ResourceClaim(c.Resource, c.Cost))],
    };

    [Fact]
    public void JobsWithoutClaims_AreAdmittedUpToTheSlots()
    {
        var bench = new Bench([]);
        var decision = bench.Pass([Job(1), Job(2), Job(3)], 2, T0);
        Assert.Equal([1L, 2L], decision.Admit);
        Assert.Empty(decision.Park);
    }

    [Fact]
    public void Grant_IsAllOrNothing_ABlockedSecondClaimTakesNothingFromTheFirst()
    {
        var bench = new Bench(new()
        {
            ["a"] = new() { Quota = "10/day" },
            ["b"] = new() { Concurrency = 1 },
        });
        bench.Running["b"] = 1;
        var decision = bench.Pass([Job(1, ("a", 3), ("b", 1))], 10, T0);
        Assert.Empty(decision.Admit);
        // Nothing of a's quota was spent by the job that could not start.
        Assert.DoesNotContain(decision.Writes, w => w.Name == "a" && ResourceState.Parse(w.State).Quota?.Used > 0);
        bench.Running.Clear();
        decision = bench.Pass([Job(1, ("a", 3), ("b", 1))], 10, T0);
        Assert.Equal([1L], decision.Admit);
        Assert.Equal(3, ResourceState.Parse(bench.Rows["a"].State).Quota!.Used);
    }

    [Fact]
    public void TwoJobsClaimingTheSamePairInOppositeOrder_OneRunsTheOtherWaits_NoDeadlock()
    {
        var bench = new Bench(new() { ["a"] = new() { Concurrency = 1 }, ["b"] = new() { Concurrency = 1 } });
        var decision = bench.Pass([Job(1, ("a", 1), ("b", 1)), Job(2, ("b", 1), ("a", 1))], 10, T0);
        Assert.Equal([1L], decision.Admit);
        bench.Running["a"] = 1;
        bench.Running["b"] = 1;
        Assert.Empty(bench.Pass([Job(2, ("b", 1), ("a", 1))], 10, T0).Admit);
        bench.Running.Clear();
        Assert.Equal([2L], bench.Pass([Job(2, ("b", 1), ("a", 1))], 10, T0).Admit);
    }

    [Fact]
    public void Rate_AdmitsPermitsWithinTheLeadToStartAtTheirTurn_AndSaysWhenToLookAgain()
    {
        var bench = new Bench(new() { ["hooks"] = new() { Rate = "50/s" } });
        var jobs = Enumerable.Range(1, 5).Select(i => Job(i, ("hooks", 1))).ToArray();
        var decision = bench.Pass(jobs, 10, T0);
        // One permit every 20 ms: now, +20 ms and +40 ms are within the 50 ms lead; +60 ms is not.
        Assert.Equal([1L, 2L, 3L], decision.Admit);
        Assert.Equal(new Dictionary<long, DateTimeOffset> { [2] = T0.AddMilliseconds(20), [3] = T0.AddMilliseconds(40) }, decision.StartAt);
        Assert.Equal(T0.AddMilliseconds(60 - 25), decision.NextCheckAt);
        Assert.Empty(decision.Park);
        var next = bench.Pass(jobs[3..], 10, T0.AddMilliseconds(35));
        Assert.Equal([4L, 5L], next.Admit);
        Assert.Equal(new Dictionary<long, DateTimeOffset> { [4] = T0.AddMilliseconds(60), [5] = T0.AddMilliseconds(80) }, next.StartAt);
    }

    [Fact]
    public void Rate_JobsFarBackInLine_AreParkedUntilShortlyBeforeTheirTurn()
    {
        var bench = new Bench(new() { ["slow"] = new() { Rate = "1/s" } });
        var jobs = Enumerable.Range(1, 8).Select(i => Job(i, ("slow", 1))).ToArray();
        var decision = bench.Pass(jobs, 10, T0);
        Assert.Equal([1L], decision.Admit);
        // Jobs 2-4 come within 3 s and stay in line; job 5 would start at T0+4s, so it waits until 2 s before that.
        Assert.Equal([5L, 6L, 7L, 8L], decision.Park.Select(p => p.JobId));
        var park = decision.Park[0];
        Assert.Equal(T0 + TimeSpan.FromSeconds(2), park.Until);
        Assert.Equal("slow", park.WaitingOn);
        Assert.StartsWith("waiting for slow rate (1/s) until 2026-11-25 12:00:04 UTC", park.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BigJob_IsNotStarvedByAStreamOfSmallOnesBehindIt()
    {
        var bench = new Bench(new() { ["api"] = new() { Rate = "10/s", Burst = 10 } });
        var now = T0;
        long next = 100;
        var waiting = new List<JobRecord> { Job(1, ("api", 1)), Job(2, ("api", 8)) };
        var admittedBig = false;
        for (var pass = 0; pass < 50 && !admittedBig; pass++)
        {
            // A steady stream of 1-unit jobs arrives behind the big one.
            waiting.Add(Job(next++, ("api", 1)));
            var decision = bench.Pass(waiting, 100, now);
            admittedBig = decision.Admit.Contains(2);
            waiting.RemoveAll(j => decision.Admit.Contains(j.Id));
            now += TimeSpan.FromMilliseconds(100);
        }
        Assert.True(admittedBig, "the 8-unit job never started");
    }

    [Fact]
    public void Priority_StillOrdersJobsThatCanRun()
    {
        var bench = new Bench(new() { ["api"] = new() { Concurrency = 2 } });
        // Candidates come in dispatch order (higher priority first); admission keeps that order.
        var decision = bench.Pass([Job(3, 5, ("api", 1)), Job(1, 0, ("api", 1)), Job(2, 0, ("api", 1))], 10, T0);
        Assert.Equal([3L, 1L], decision.Admit);
    }

    [Fact]
    public void BlockedJob_DoesNotHoldUpJobsOnOtherResources()
    {
        var bench = new Bench(new() { ["busy"] = new() { Concurrency = 1 }, ["free"] = new() { Concurrency = 5 } });
        bench.Running["busy"] = 1;
        var decision = bench.Pass([Job(1, ("busy", 1)), Job(2, ("busy", 1)), Job(3, ("free", 1))], 10, T0);
        Assert.Equal([3L], decision.Admit);
        // The first job blocked on the cap keeps its place in line; the one behind it is parked until a permit comes back.
        var park = Assert.Single(decision.Park);
        Assert.Equal(2, park.JobId);
        Assert.Equal(T0 + Settings.Recheck, park.Until);
        Assert.Equal("waiting for busy: 1 of 1 in use", park.Reason);
    }

    [Fact]
    public void Concurrency_CostAboveTheCap_RunsAlone()
    {
        var bench = new Bench(new() { ["session"] = new() { Concurrency = 2 } });
        Assert.Equal([1L], bench.Pass([Job(1, ("session", 3)), Job(2, ("session", 1))], 10, T0).Admit);
        bench.Running["session"] = 1;
        Assert.Empty(bench.Pass([Job(1, ("session", 3))], 10, T0).Admit);
    }

    [Fact]
    public void Quota_The101stUnitIsNotSpentBeforeTheReset_ThenWorkResumes()
    {
        var bench = new Bench(new() { ["api"] = new() { Quota = "100/day@America/Los_Angeles" } });
        var jobs = Enumerable.Range(1, 101).Select(i => Job(i, ("api", 1))).ToArray();
        var decision = bench.Pass(jobs, 1000, T0);
        Assert.Equal(100, decision.Admit.Count);
        var park = Assert.Single(decision.Park);
        Assert.Equal(101, park.JobId);
        var reset = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(reset - Settings.WakeEarly, park.Until);
        Assert.Equal("waiting for api quota (100/day@America/Los_Angeles), resets 2026-11-26 08:00:00 UTC", park.Reason);

        // Back before the reset, it stays in line and is looked at again at the reset.
        decision = bench.Pass([jobs[100]], 1000, reset - TimeSpan.FromSeconds(1));
        Assert.Empty(decision.Admit);
        Assert.Empty(decision.Park);
        Assert.Equal(reset, decision.NextCheckAt);
        Assert.Equal([101L], bench.Pass([jobs[100]], 1000, reset).Admit);
    }

    [Fact]
    public void Pause_ParksUntilItsEnd_OrUntilResumed()
    {
        var bench = new Bench(new() { ["api"] = new() { Rate = "10/s" } });
        var until = T0 + TimeSpan.FromMinutes(5);
        bench.Rows["api"] = new ResourceRow("api", new ResourceState { Pause = new PauseData { Until = until.UtcTicks, Reason = "429 from the server" } }.ToJson(), T0);
        var park = Assert.Single(bench.Pass([Job(1, ("api", 1))], 10, T0).Park);
        Assert.Equal(until - Settings.WakeEarly, park.Until);
        Assert.Contains("paused until 2026-11-25 12:05:00 UTC (429 from the server)", park.Reason, StringComparison.Ordinal);

        bench.Rows["api"] = new ResourceRow("api", new ResourceState { Pause = new PauseData { Reason = "maintenance", Manual = true } }.ToJson(), T0);
        park = Assert.Single(bench.Pass([Job(1, ("api", 1))], 10, T0).Park);
        Assert.Equal(T0 + Settings.Recheck, park.Until);
        Assert.Contains("paused until resumed (maintenance)", park.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnconfiguredResource_LimitsNothing()
    {
        var bench = new Bench(new() { ["api"] = new() { Concurrency = 1 } });
        Assert.Equal([1L, 2L], bench.Pass([Job(1, ("other", 1)), Job(2, ("other", 1))], 10, T0).Admit);
    }

    [Fact]
    public void TemplatePartitions_AreLimitedEachOnTheirOwn()
    {
        var bench = new Bench(new() { ["account:{AccountId}"] = new() { Concurrency = 1 } });
        var decision = bench.Pass([Job(1, ("account:1", 1)), Job(2, ("account:1", 1)), Job(3, ("account:2", 1))], 10, T0);
        Assert.Equal([1L, 3L], decision.Admit);
    }

    [Fact]
    public void BreakerHalfOpen_LetsTheConfiguredProbesThrough_AndParksTheRest()
    {
        var bench = new Bench(new() { ["api"] = new() { Breaker = new BreakerOptions { ConsecutiveFailures = 1, Probes = 1, Break = "30s" } } });
        var state = new ResourceState();
        bench.Rows["api"] = new ResourceRow("api", "{}", T0);
        var definition = ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["api"] = new() { Breaker = new BreakerOptions { ConsecutiveFailures = 1, Probes = 1, Break = "30s" } } }).Find("api")!;
        definition.RecordFailure(state, T0);
        bench.Rows["api"] = new ResourceRow("api", state.ToJson(), T0);

        var open = bench.Pass([Job(1, ("api", 1)), Job(2, ("api", 1))], 10, T0 + TimeSpan.FromSeconds(10));
        Assert.Empty(open.Admit);
        Assert.All(open.Park, p => Assert.Equal(T0 + TimeSpan.FromSeconds(30) - Settings.WakeEarly, p.Until));

        var halfOpen = bench.Pass([Job(1, ("api", 1)), Job(2, ("api", 1))], 10, T0 + TimeSpan.FromSeconds(30));
        Assert.Equal([1L], halfOpen.Admit);
        Assert.Equal("waiting for api: circuit half-open, probe running", Assert.Single(halfOpen.Park).Reason);
    }
}
