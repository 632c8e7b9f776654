using Pacer.Resources;

namespace Pacer.Tests.Resources;

public sealed class RateLimitTests
{
    private static readonly long T0 = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero).UtcTicks;
    private static readonly long Second = TimeSpan.TicksPerSecond;

    [Fact]
    public void Interval_IsPeriodOverPermits_RoundedUp()
    {
        Assert.Equal(Second / 50, new RateLimit(50, TimeSpan.FromSeconds(1), 1).IntervalTicks);
        // 3/s does not divide evenly: rounding up can only keep us under the limit.
        Assert.Equal(3_333_334, new RateLimit(3, TimeSpan.FromSeconds(1), 1).IntervalTicks);
    }

    [Fact]
    public void EarliestTicks_IdleLimit_GrantsNow()
    {
        var limit = new RateLimit(10, TimeSpan.FromSeconds(1), 1);
        Assert.Equal(T0, limit.EarliestTicks(long.MinValue / 2, T0, 1));
    }

    [Fact]
    public void BurstOne_SpacesPermitsEvenly()
    {
        var limit = new RateLimit(10, TimeSpan.FromSeconds(1), 1);
        var tat = limit.Take(long.MinValue / 2, T0, 1);
        Assert.Equal(T0 + (Second / 10), tat);
        // The next permit conforms exactly one interval later, not a tick sooner.
        Assert.Equal(T0 + (Second / 10), limit.EarliestTicks(tat, T0, 1));
        Assert.Equal(T0 + (Second / 10), limit.EarliestTicks(tat, T0 + (Second / 10) - 1, 1));
    }

    [Fact]
    public void Burst_AllowsThatManyBackToBack_ThenSpaces()
    {
        var limit = new RateLimit(10, TimeSpan.FromSeconds(1), 3);
        var tat = long.MinValue / 2;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(T0, limit.EarliestTicks(tat, T0, 1));
            tat = limit.Take(tat, T0, 1);
        }
        Assert.Equal(T0 + (Second / 10), limit.EarliestTicks(tat, T0, 1));
    }

    [Fact]
    public void CostAboveBurst_WaitsForAnIdleLimit_ThenLeavesDebt()
    {
        var limit = new RateLimit(10, TimeSpan.FromSeconds(1), 2);
        var tat = limit.Take(long.MinValue / 2, T0, 1);
        // 5 permits never fit a burst of 2: they go once the limit is idle (TAT reached), and pay afterwards.
        Assert.Equal(tat, limit.EarliestTicks(tat, T0, 5));
        var after = limit.Take(tat, tat, 5);
        Assert.Equal(tat + (5 * Second / 10), after);
    }

    [Fact]
    public void CostWithinBurst_WaitsUntilTheLastPermitConforms()
    {
        var limit = new RateLimit(10, TimeSpan.FromSeconds(1), 4);
        var tat = T0 + (4 * Second / 10); // four permits taken at T0: bucket empty
        Assert.Equal(T0 + (Second / 10) + (Second / 10), limit.EarliestTicks(tat, T0, 2));
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(50, 1)]
    [InlineData(7, 1)]
    [InlineData(50, 5)]
    public void GrantingAsSoonAsAllowed_NeverExceedsPermitsPlusBurstInAnyWindow(int permits, int burst)
    {
        var limit = new RateLimit(permits, TimeSpan.FromSeconds(1), burst);
        var random = new Random(permits * 31 + burst);
        var tat = long.MinValue / 2;
        var now = T0;
        var grants = new List<long>();
        while (grants.Count < permits * 20)
        {
            // Callers arrive at random moments, sometimes late, sometimes in a rush.
            now += random.Next(0, 3) == 0 ? random.NextInt64(0, Second / 2) : 0;
            var at = limit.EarliestTicks(tat, now, 1);
            now = at;
            tat = limit.Take(tat, at, 1);
            grants.Add(at);
        }
        var most = 0;
        for (int i = 0, j = 0; i < grants.Count; i++)
        {
            while (grants[i] - grants[j] >= Second)
                j++;
            most = Math.Max(most, i - j + 1);
        }
        Assert.True(most <= permits + burst - 1, $"{most} grants in one second with {permits}/s burst {burst}");
    }

    [Fact]
    public void Available_CountsWhatCouldBeTakenNow()
    {
        var limit = new RateLimit(10, TimeSpan.FromSeconds(1), 3);
        Assert.Equal(3, limit.Available(long.MinValue / 2, T0));
        var tat = limit.Take(long.MinValue / 2, T0, 2);
        Assert.Equal(1, limit.Available(tat, T0));
        Assert.Equal(3, limit.Available(tat, tat));
    }
}
