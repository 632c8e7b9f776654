using Pacer.Resources;

namespace Pacer.Tests.Resources;

public sealed class BreakerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static ResourceDefinition Define(BreakerOptions breaker) =>
        ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["api"] = new() { Breaker = breaker } }).Find("api")!;

    private static Verdict Check(ResourceDefinition d, ResourceState s, DateTimeOffset now)
    {
        d.Normalize(s, now);
        return d.Check(s, s.Tat, 1, now, 0);
    }

    [Fact]
    public void Ratio_NotJudgedBeforeMinimumCalls_OpensOnTheCallThatReachesIt()
    {
        var d = Define(new BreakerOptions { FailureRatio = 0.5, MinimumCalls = 4, Break = "30s" });
        var s = new ResourceState();
        Assert.False(d.RecordFailure(s, T0));
        Assert.False(d.RecordFailure(s, T0));
        Assert.False(d.RecordFailure(s, T0)); // 3 of 3 failed, but only 3 calls
        Assert.True(Check(d, s, T0).Allowed);
        Assert.True(d.RecordFailure(s, T0)); // the 4th call
        Assert.Equal(BreakerPhase.Open, s.Breaker!.Phase);
        Assert.Equal(new Verdict(BlockReason.BreakerOpen, (T0 + TimeSpan.FromSeconds(30)).UtcTicks), Check(d, s, T0));
    }

    [Fact]
    public void Ratio_BelowTheShare_StaysClosed()
    {
        var d = Define(new BreakerOptions { FailureRatio = 0.5, MinimumCalls = 4 });
        var s = new ResourceState();
        d.RecordSuccess(s, T0);
        d.RecordSuccess(s, T0);
        d.RecordSuccess(s, T0);
        Assert.False(d.RecordFailure(s, T0)); // 1 of 4
        Assert.False(d.RecordFailure(s, T0)); // 2 of 5 = 0.4
        Assert.True(d.RecordFailure(s, T0)); // 3 of 6 = 0.5
    }

    [Fact]
    public void Consecutive_OpensOnTheNthFailureInARow()
    {
        var d = Define(new BreakerOptions { ConsecutiveFailures = 3 });
        var s = new ResourceState();
        d.RecordFailure(s, T0);
        d.RecordFailure(s, T0);
        d.RecordSuccess(s, T0); // breaks the run
        d.RecordFailure(s, T0);
        Assert.False(d.RecordFailure(s, T0));
        Assert.True(d.RecordFailure(s, T0));
    }

    [Fact]
    public void SamplingWindow_StartsCountingAgainWhenItEnds()
    {
        var d = Define(new BreakerOptions { FailureRatio = 0.5, MinimumCalls = 2, SamplingDuration = "10s" });
        var s = new ResourceState();
        Assert.False(d.RecordFailure(s, T0));
        var later = T0 + TimeSpan.FromSeconds(10);
        Check(d, s, later); // the window rolls: the old failure no longer counts
        d.RecordSuccess(s, later);
        d.RecordSuccess(s, later);
        // With the old failure this would be 2 of 4 and open; in the new window it is 1 of 3.
        Assert.False(d.RecordFailure(s, later.AddSeconds(1)));
        Assert.True(d.RecordFailure(s, later.AddSeconds(2)));
    }

    [Fact]
    public void Open_HalfOpensAtExactlyTheBreakEnd_AndLetsProbesThrough()
    {
        var d = Define(new BreakerOptions { ConsecutiveFailures = 1, Break = "30s", Probes = 2 });
        var s = new ResourceState();
        d.RecordFailure(s, T0);
        Assert.Equal(BlockReason.BreakerOpen, Check(d, s, T0.AddSeconds(30).AddTicks(-1)).Reason);
        var end = T0.AddSeconds(30);
        Assert.True(Check(d, s, end).Allowed);
        Assert.Equal(BreakerPhase.HalfOpen, s.Breaker!.Phase);
        d.Grant(s, 1, end);
        Assert.True(Check(d, s, end).Allowed);
        d.Grant(s, 1, end);
        // Two probes out: the third waits for one of them to report.
        Assert.Equal(new Verdict(BlockReason.BreakerProbing, null), Check(d, s, end));
    }

    [Fact]
    public void HalfOpen_SuccessCloses_FailureReopensForTwiceAsLong_CappedAtMaxBreak()
    {
        var d = Define(new BreakerOptions { ConsecutiveFailures = 1, Break = "30s", MaxBreak = "90s" });
        var s = new ResourceState();
        d.RecordFailure(s, T0);
        var now = T0.AddSeconds(30);
        Check(d, s, now);
        Assert.True(d.RecordFailure(s, now)); // probe failed: open for 60 s
        Assert.Equal((now + TimeSpan.FromSeconds(60)).UtcTicks, s.Breaker!.OpenUntil);
        now += TimeSpan.FromSeconds(60);
        Check(d, s, now);
        d.RecordFailure(s, now); // again: 120 s, capped at 90 s
        Assert.Equal((now + TimeSpan.FromSeconds(90)).UtcTicks, s.Breaker.OpenUntil);
        now += TimeSpan.FromSeconds(90);
        Check(d, s, now);
        Assert.True(d.RecordSuccess(s, now)); // closed: the next open starts from 30 s again
        Assert.Equal(BreakerPhase.Closed, s.Breaker.Phase);
        d.RecordFailure(s, now);
        Assert.Equal((now + TimeSpan.FromSeconds(30)).UtcTicks, s.Breaker.OpenUntil);
    }

    [Fact]
    public void HalfOpen_ProbeThatNeverReports_FreesItsPlaceAfterTheProbeTimeout()
    {
        var d = Define(new BreakerOptions { ConsecutiveFailures = 1, Break = "30s", Probes = 1 });
        var s = new ResourceState();
        d.RecordFailure(s, T0);
        var now = T0.AddSeconds(30);
        Check(d, s, now);
        d.Grant(s, 1, now);
        Assert.Equal(BlockReason.BreakerProbing, Check(d, s, now + ResourceDefinition.ProbeTimeout - TimeSpan.FromTicks(1)).Reason);
        Assert.True(Check(d, s, now + ResourceDefinition.ProbeTimeout).Allowed);
    }

    [Fact]
    public void Open_LateReports_ChangeNothing()
    {
        var d = Define(new BreakerOptions { ConsecutiveFailures = 1, Break = "30s" });
        var s = new ResourceState();
        d.RecordFailure(s, T0);
        var until = s.Breaker!.OpenUntil;
        Assert.False(d.RecordSuccess(s, T0.AddSeconds(1)));
        Assert.True(d.RecordFailure(s, T0.AddSeconds(2)));
        Assert.Equal(until, s.Breaker.OpenUntil);
    }
}
