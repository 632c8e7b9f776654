using Pacer.Resources;

namespace Pacer.Tests.Resources;

public sealed class QuotaRuleTests
{
    private static readonly TimeZoneInfo Pacific = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

    private static DateTimeOffset Utc(int y, int m, int d, int h, int min = 0) => new(y, m, d, h, min, 0, TimeSpan.Zero);

    [Fact]
    public void Day_InPacificWinter_ResetsAt0800Utc()
    {
        var quota = new QuotaRule(10_000, QuotaPeriod.Day, Pacific);
        var (start, end) = quota.WindowAt(Utc(2026, 12, 1, 20));
        Assert.Equal(Utc(2026, 12, 1, 8), start);
        Assert.Equal(Utc(2026, 12, 2, 8), end);
    }

    [Fact]
    public void Day_InPacificSummer_ResetsAt0700Utc()
    {
        var quota = new QuotaRule(10_000, QuotaPeriod.Day, Pacific);
        var (start, end) = quota.WindowAt(Utc(2026, 7, 1, 6, 59));
        Assert.Equal(Utc(2026, 6, 30, 7), start);
        Assert.Equal(Utc(2026, 7, 1, 7), end);
    }

    [Fact]
    public void Day_OfSpringForward_Is23HoursLong()
    {
        // 2026-03-08: Pacific clocks jump from 02:00 PST to 03:00 PDT.
        var quota = new QuotaRule(10_000, QuotaPeriod.Day, Pacific);
        var (start, end) = quota.WindowAt(Utc(2026, 3, 8, 12));
        Assert.Equal(Utc(2026, 3, 8, 8), start);
        Assert.Equal(Utc(2026, 3, 9, 7), end);
        Assert.Equal(TimeSpan.FromHours(23), end - start);
    }

    [Fact]
    public void Day_OfFallBack_Is25HoursLong()
    {
        // 2026-11-01: Pacific clocks fall back from 02:00 PDT to 01:00 PST.
        var quota = new QuotaRule(10_000, QuotaPeriod.Day, Pacific);
        var (start, end) = quota.WindowAt(Utc(2026, 11, 1, 9, 30)); // 01:30 local, the second time
        Assert.Equal(Utc(2026, 11, 1, 7), start);
        Assert.Equal(Utc(2026, 11, 2, 8), end);
        Assert.Equal(TimeSpan.FromHours(25), end - start);
    }

    [Fact]
    public void Day_AtTheResetInstant_BelongsToTheNewWindow()
    {
        var quota = new QuotaRule(10_000, QuotaPeriod.Day, Pacific);
        Assert.Equal(Utc(2026, 12, 2, 8), quota.WindowAt(Utc(2026, 12, 2, 8)).Start);
        Assert.Equal(Utc(2026, 12, 1, 8), quota.WindowAt(Utc(2026, 12, 2, 8).AddTicks(-1)).Start);
    }

    [Fact]
    public void Day_WhereMidnightIsSkipped_StartsAtTheJump()
    {
        // Chile springs forward at local midnight (00:00 becomes 01:00): that day starts at the jump.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var quota = new QuotaRule(100, QuotaPeriod.Day, santiago);
        var (start, end) = quota.WindowAt(Utc(2026, 9, 6, 12));
        Assert.Equal(Utc(2026, 9, 6, 4), start); // 00:00 -04 would be 04:00 UTC; the clock jumped to 01:00 -03 then
        Assert.Equal(TimeSpan.FromHours(23), end - start);
    }

    [Fact]
    public void HourAndMinute_FollowTheClock()
    {
        var hour = new QuotaRule(500, QuotaPeriod.Hour, TimeZoneInfo.Utc);
        Assert.Equal((Utc(2026, 12, 1, 20), Utc(2026, 12, 1, 21)), hour.WindowAt(Utc(2026, 12, 1, 20, 59)));
        var minute = new QuotaRule(60, QuotaPeriod.Minute, TimeZoneInfo.Utc);
        Assert.Equal((Utc(2026, 12, 1, 20, 59), Utc(2026, 12, 1, 21)), minute.WindowAt(Utc(2026, 12, 1, 20, 59).AddSeconds(30)));
    }

    [Fact]
    public void Hour_InAHalfHourZone_StartsAtTheLocalHour()
    {
        var india = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        var hour = new QuotaRule(500, QuotaPeriod.Hour, india);
        Assert.Equal(Utc(2026, 12, 1, 19, 30), hour.WindowAt(Utc(2026, 12, 1, 20)).Start);
    }
}

/// <summary>What a resource learns when the server refuses calls before the configured quota is spent.</summary>
public sealed class ObservedQuotaTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 20, 0, 0, TimeSpan.Zero);

    private static ResourceDefinition Api() =>
        ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["api"] = new() { Quota = "100/day@America/Los_Angeles" } }).Find("api")!;

    [Fact]
    public void ARefusal_RemembersWhatWasSpent_LessTheRefusedCallsAndUnspentReservations()
    {
        var api = Api();
        var state = new ResourceState();
        api.Grant(state, 30, Noon);                        // 30 single calls
        state.Quota!.Reserve(job: 7, attempt: 1, units: 10); // 10 reserved, 4 of them spent by now
        state.Quota.Spend(7, 1, 4);

        api.RecordQuotaExhausted(state, Noon, "quotaExceeded", refusedUnits: 1);
        api.RecordQuotaExhausted(state, Noon, "quotaExceeded", refusedUnits: 1); // a call already on its way

        // Spent at the first refusal: 30 + 4; refused: 2.
        Assert.Equal(32, state.QuotaObserved);
    }

    [Fact]
    public void AReservation_IsHeldToWhatTheServerLetThrough_ASingleCallIsNot_AndAWeekLaterItIsForgotten()
    {
        var api = Api();
        var state = new ResourceState();
        api.Grant(state, 20, Noon);
        api.RecordQuotaExhausted(state, Noon, "quotaExceeded", refusedUnits: 0);
        var nextDay = Noon.AddDays(1);
        api.Normalize(state, nextDay);
        api.Grant(state, 15, nextDay);

        var reservation = api.CheckReservation(state, 6, nextDay);
        Assert.Equal(BlockReason.Quota, reservation.Reason);
        Assert.Equal(api.Quota!.WindowAt(nextDay).End.UtcTicks, reservation.RetryAtTicks);
        Assert.Contains("the server let 20 through before it said no", api.Describe("api", state, reservation, nextDay), StringComparison.Ordinal);
        Assert.True(api.CheckReservation(state, 5, nextDay).Allowed);
        Assert.True(api.Check(state, null, 6, nextDay, inUse: 0).Allowed);

        var weekLater = Noon.AddDays(7).AddMinutes(1);
        api.Normalize(state, weekLater);
        Assert.Null(state.QuotaObserved);
        Assert.True(api.CheckReservation(state, 60, weekLater).Allowed);
    }

    [Fact]
    public void SingleCallsPastTheFigure_WithoutARefusal_ForgetIt_TheBudgetGrew()
    {
        var api = Api(); // 100/day: the margin is 1 unit
        var state = new ResourceState();
        api.Grant(state, 20, Noon);
        api.RecordQuotaExhausted(state, Noon, "quotaExceeded", refusedUnits: 0);
        var nextDay = Noon.AddDays(1);
        api.Normalize(state, nextDay);

        api.Grant(state, 20, nextDay); // up to the figure: still held to it
        Assert.Equal(20, state.QuotaObserved);
        Assert.Equal(BlockReason.Quota, api.CheckReservation(state, 6, nextDay).Reason);
        api.Grant(state, 1, nextDay); // one unit past it, and the server said nothing

        Assert.Null(state.QuotaObserved);
        Assert.Null(state.QuotaObservedUntil);
        Assert.True(api.CheckReservation(state, 6, nextDay).Allowed);
    }

    [Fact]
    public void CallsPastTheFigure_InTheWindowOfARefusal_DoNotForgetIt()
    {
        var api = Api();
        var state = new ResourceState();
        api.Grant(state, 20, Noon);
        api.RecordQuotaExhausted(state, Noon, "quotaExceeded", refusedUnits: 0);

        api.Grant(state, 5, Noon); // calls already on their way when the server refused

        Assert.Equal(20, state.QuotaObserved);
    }

    [Fact]
    public void ARefusalAfterTheConfiguredQuotaWasSpent_TeachesNothing()
    {
        var api = Api();
        var state = new ResourceState();
        api.Grant(state, 100, Noon);

        api.RecordQuotaExhausted(state, Noon, "quotaExceeded", refusedUnits: 0);

        Assert.Null(state.QuotaObserved);
    }
}
