namespace Pacer.Storage.Conformance;

public abstract partial class JobStoreConformanceTests
{
    [Fact]
    public async Task Schedules_UpsertListReplaceDelete()
    {
        var sync = new StoredSchedule("sync", "0 * * * *", "Europe/Berlin", "channel-sync", """{"to":"out.csv"}""", """{"queue":"sync"}""", T0);
        await Store.UpsertScheduleAsync(sync, Ct);
        await Store.UpsertScheduleAsync(new StoredSchedule("digest", "*/5 * * * *", "UTC", "digest", "{}", null, T0), Ct);

        Assert.Equal(["digest", "sync"], (await Store.ListSchedulesAsync(Ct)).Select(s => s.Name));
        Assert.Equal(sync, (await Store.ListSchedulesAsync(Ct)).Single(s => s.Name == "sync"));

        var changed = sync with { Cron = "30 6 * * *", UpdatedAt = At(60) };
        await Store.UpsertScheduleAsync(changed, Ct);
        Assert.Equal(changed, (await Store.ListSchedulesAsync(Ct)).Single(s => s.Name == "sync"));

        Assert.True(await Store.DeleteScheduleAsync("sync", Ct));
        Assert.False(await Store.DeleteScheduleAsync("sync", Ct));
        Assert.Equal("digest", Assert.Single(await Store.ListSchedulesAsync(Ct)).Name);
    }
}
