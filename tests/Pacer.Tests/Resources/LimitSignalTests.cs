using Pacer.Resources;

namespace Pacer.Tests.Resources;

/// <summary>A server's "too many requests" without a Retry-After: the resource pauses, longer each time they come in a row.</summary>
public sealed class LimitSignalTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static ResourceDefinition Define() =>
        ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["api"] = new() { Rate = "10/s" } }).Find("api")!;

    [Fact]
    public void SignalsInARow_PauseLongerEachTime_UpToAMinute()
    {
        var d = Define();
        var s = new ResourceState();
        var now = T0;
        var waits = new List<double>();
        for (var i = 0; i < 9; i++)
        {
            // Each comes as the pause before it ends: the calls let through were refused again.
            var until = d.RecordLimited(s, now, retryAfter: null, "429");
            waits.Add((until - now).TotalSeconds);
            now = until;
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], waits);
    }

    [Fact]
    public void ASignalAfterAQuietStretch_StartsOver()
    {
        // Successes are not recorded for a resource without a breaker: a 429 now and then, days apart, once paused the
        // resource a full minute each from the seventh on.
        var d = Define();
        var s = new ResourceState();
        var now = T0;
        for (var i = 0; i < 3; i++)
            now = d.RecordLimited(s, now, retryAfter: null, "429"); // 1, 2, 4 s

        var soon = now + TimeSpan.FromSeconds(3);
        Assert.Equal(soon + TimeSpan.FromSeconds(8), d.RecordLimited(s, soon, retryAfter: null, "429")); // within the 4 s step: goes on

        var later = soon + TimeSpan.FromSeconds(8) + TimeSpan.FromSeconds(8);
        Assert.Equal(later + TimeSpan.FromSeconds(1), d.RecordLimited(s, later, retryAfter: null, "429")); // a stretch as long as the step: over
        Assert.Equal(1, s.LimitedStreak);
        var nextDay = later + TimeSpan.FromDays(1);
        Assert.Equal(nextDay + TimeSpan.FromSeconds(1), d.RecordLimited(s, nextDay, retryAfter: null, "429"));
    }

    [Fact]
    public void ACallAcceptedAfterThePauseEnded_StartsTheStreakOver_OneSentDuringThePauseDoesNot()
    {
        // A server that refuses one call in fifty: most calls go through between two 429s a few seconds apart. Counted as
        // one streak, a few of them paused the resource a minute each.
        var d = Define();
        var s = new ResourceState();
        var now = T0;
        for (var i = 0; i < 3; i++)
            now = d.RecordLimited(s, now, retryAfter: null, "429"); // 1, 2, 4 s: the last pause ends at `now`

        var sentDuringThePause = now - TimeSpan.FromSeconds(1);
        Assert.Equal(now + TimeSpan.FromSeconds(8), d.RecordLimited(s, now, retryAfter: null, "429", acceptedAt: sentDuringThePause));

        var pauseEnded = now + TimeSpan.FromSeconds(8);
        var signal = pauseEnded + TimeSpan.FromMilliseconds(300);
        Assert.Equal(signal + TimeSpan.FromSeconds(1), d.RecordLimited(s, signal, retryAfter: null, "429", acceptedAt: pauseEnded + TimeSpan.FromMilliseconds(100)));
        Assert.Equal(1, s.LimitedStreak);
    }

    [Fact]
    public void ARetryAfter_IsTheWait_AndStillCountsInTheStreak()
    {
        var d = Define();
        var s = new ResourceState();

        var until = d.RecordLimited(s, T0, TimeSpan.FromSeconds(30), "429");
        var next = d.RecordLimited(s, until, retryAfter: null, "429");

        Assert.Equal(T0 + TimeSpan.FromSeconds(30), until);
        Assert.Equal(until + TimeSpan.FromSeconds(2), next);
    }
}
