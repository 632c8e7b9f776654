namespace Pacer.Tests.Recurring;

public sealed class RecurringScheduleTests
{
    private static readonly DateTimeOffset Base = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void LatestDueSlot_NoSlotYet_ReturnsNull()
    {
        var schedule = RecurringSchedule.Create("hourly", "0 * * * *", "noop", "{}", TimeZoneInfo.Utc, null);

        Assert.Null(schedule.LatestDueSlot(Base, Base.AddMinutes(59)));
    }

    [Fact]
    public void LatestDueSlot_SeveralMissedSlots_CollapsesIntoTheNewest()
    {
        var schedule = RecurringSchedule.Create("every-5", "*/5 * * * *", "noop", "{}", TimeZoneInfo.Utc, null);

        var slot = schedule.LatestDueSlot(Base, Base.AddMinutes(23));

        Assert.Equal(Base.AddMinutes(20), slot);
    }

    [Fact]
    public void LatestDueSlot_SlotAlreadyEnqueued_IsNotReturnedAgain()
    {
        var schedule = RecurringSchedule.Create("every-5", "*/5 * * * *", "noop", "{}", TimeZoneInfo.Utc, null);
        var first = schedule.LatestDueSlot(Base.AddMinutes(-1), Base.AddSeconds(30));

        Assert.Equal(Base, first);
        Assert.Null(schedule.LatestDueSlot(first, Base.AddMinutes(4)));
    }

    [Fact]
    public void LatestDueSlot_FirstLook_NeverRunsASlotFromBeforeTheScheduleWasStored()
    {
        var schedule = RecurringSchedule.Create("hourly", "0 * * * *", "noop", "{}", TimeZoneInfo.Utc, null);
        var stored = RecurringSchedule.Create("hourly", "0 * * * *", "noop", "{}", TimeZoneInfo.Utc, null);
        stored.NotBefore = Base.AddSeconds(30); // made half a minute after the 12:00 slot: its first run is 13:00

        Assert.Equal(Base, schedule.LatestDueSlot(null, Base.AddSeconds(40))); // registered in code: looks back a minute
        Assert.Null(stored.LatestDueSlot(null, Base.AddSeconds(40)));
        Assert.Equal(Base.AddHours(1), stored.LatestDueSlot(null, Base.AddHours(1).AddSeconds(5)));
        // Stored long ago and first seen now (no worker ran meanwhile): the minute before now, as for any schedule.
        stored.NotBefore = Base.AddDays(-3);
        Assert.Equal(Base, stored.LatestDueSlot(null, Base.AddSeconds(40)));
    }

    [Fact]
    public void LatestDueSlot_WithSeconds_UsesSixFieldFormat()
    {
        var schedule = RecurringSchedule.Create("every-10s", "*/10 * * * * *", "noop", "{}", TimeZoneInfo.Utc, null);

        Assert.Equal(Base.AddSeconds(20), schedule.LatestDueSlot(Base, Base.AddSeconds(25)));
    }

    [Fact]
    public void NextSlot_DailyInLosAngeles_FollowsDaylightSavingChange()
    {
        var pacific = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        var schedule = RecurringSchedule.Create("midnight-pt", "0 0 * * *", "noop", "{}", pacific, null);

        // 2026-11-01 is the end of daylight saving time in the US: midnight moves from 07:00 UTC to 08:00 UTC.
        var beforeChange = schedule.NextSlot(new DateTimeOffset(2026, 10, 31, 12, 0, 0, TimeSpan.Zero));
        var afterChange = schedule.NextSlot(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 7, 0, 0, TimeSpan.Zero), beforeChange);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero), afterChange);
    }

    [Fact]
    public void Create_InvalidCron_NamesTheScheduleAndTheFormat()
    {
        var error = Assert.Throws<ArgumentException>(() => RecurringSchedule.Create("broken", "61 * * * *", "noop", "{}", TimeZoneInfo.Utc, null));

        Assert.Contains("broken", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 fields", error.Message, StringComparison.Ordinal);
    }
}
