using Pacer.Tests.Engine;

namespace Pacer.Tests.Recurring;

public sealed class StoredScheduleTests
{
    private static Task<EngineHarness> Start(Probe probe) => EngineHarness.StartAsync(
        p =>
        {
            p.Services.AddSingletonProbe(probe);
            p.AddJob<ScriptedHandler, Work>("work");
        },
        o => o.MaintenanceInterval = TimeSpan.FromSeconds(1));

    [Fact]
    public async Task Schedule_StoredAtRunTime_EnqueuesEachSlotOnce_UntilRemoved()
    {
        var probe = new Probe();
        await using var h = await Start(probe);

        await h.Client.ScheduleAsync(new ScheduleRequest("minutely", "* * * * *", "work", """{"name":"tick"}""", "Europe/Berlin",
            new EnqueueOptions { Tags = ["scheduled"] }));
        var listed = Assert.Single(await h.Client.ListSchedulesAsync());
        Assert.Equal(new ScheduleInfo("minutely", "* * * * *", "Europe/Berlin", "work", """{"name":"tick"}""", true, EngineHarness.Start.AddMinutes(1)), listed);

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 2), TimeSpan.FromSeconds(5), maxSteps: 100);
        var jobs = await h.Store.ListAsync(new Storage.JobQuery(), CancellationToken.None);
        Assert.All(jobs, j => Assert.Equal(["scheduled"], j.Tags));
        Assert.Equal(jobs.Count, jobs.Select(j => j.ScheduledAt).Distinct().Count());

        Assert.True(await h.Client.UnscheduleAsync("minutely"));
        var count = jobs.Count;
        await h.AdvanceUntilAsync(Task.Delay(300), TimeSpan.FromMinutes(1), maxSteps: 3);
        Assert.InRange((await h.Store.ListAsync(new Storage.JobQuery(), CancellationToken.None)).Count, count, count + 1);
        Assert.Empty(await h.Client.ListSchedulesAsync());
    }

    [Theory]
    [InlineData("bad", "* * * * *", "work", "{}", null, "cron")]
    [InlineData("bad", "61 * * * *", "work", "{}", null, "cron '61 * * * *' is invalid")]
    [InlineData("bad", "* * * * *", "work", "{}", "Mars/Olympus", "Time zone 'Mars/Olympus'")]
    [InlineData("bad", "* * * * *", "nope", "{}", null, "Unknown job kind 'nope'")]
    [InlineData("bad", "* * * * *", "work", """{"nam":1}""", null, "nam")]
    [InlineData("bad name", "* * * * *", "work", "{}", null, "Invalid recurring schedule name")]
    public async Task Schedule_BadInput_IsRefusedAndStoresNothing(string name, string cron, string kind, string args, string? zone, string expected)
    {
        await using var h = await Start(new Probe());
        if (expected == "cron")
            cron = "every minute";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => h.Client.ScheduleAsync(new ScheduleRequest(name, cron, kind, args, zone)));

        Assert.Contains(expected == "cron" ? "cron 'every minute' is invalid" : expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(await h.Store.ListSchedulesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ListSchedules_SaysWhichQueueTheJobsGoTo()
    {
        await using var h = await EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(new Probe());
                p.AddJob<ScriptedHandler, Work>("work", k => k.Queue = "chores");
            },
            o => o.MaintenanceInterval = TimeSpan.FromSeconds(1));

        await h.Client.ScheduleAsync(new ScheduleRequest("own", "0 3 * * *", "work", Options: new EnqueueOptions { Queue = "reports" }));
        await h.Client.ScheduleAsync(new ScheduleRequest("kinds", "0 4 * * *", "work"));

        Assert.Equal([("kinds", "chores"), ("own", "reports")], (await h.Client.ListSchedulesAsync()).Select(s => (s.Name, s.Queue)));
    }

    [Fact]
    public async Task Schedule_OptionsThatDecideWhen_AreRefused()
    {
        await using var h = await Start(new Probe());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => h.Client.ScheduleAsync(
            new ScheduleRequest("s", "* * * * *", "work", "{}", null, new EnqueueOptions { UniqueKey = "k" })));

        Assert.Contains("may not set RunAt, RunIn or UniqueKey", error.Message, StringComparison.Ordinal);
    }
}
