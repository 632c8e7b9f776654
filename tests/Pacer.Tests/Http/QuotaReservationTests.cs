using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Tests.BuiltIn;
using Pacer.Storage;
using Pacer.Tests.Engine;

namespace Pacer.Tests.Http;

/// <summary>
/// <see cref="IPacerResources.ReserveAsync"/> against a real server: work that needs many calls starts only if the quota
/// can pay for all of them, its calls spend the reservation (not the quota a second time), and what they did not spend
/// goes back when the attempt ends.
/// </summary>
public sealed class QuotaReservationTests
{
    private const string Client = "api";

    private sealed class Setup : IAsyncDisposable
    {
        public required TestHttpServer Server { get; init; }
        public required EngineHarness Harness { get; init; }
        public required Probe Probe { get; init; }

        public IPacerResources Resources => Harness.Host.Services.GetRequiredService<IPacerResources>();

        public HttpClient Http => Harness.Host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(Client);

        public async Task<long> UsedAsync() => (await Resources.ListAsync()).Single(r => r.Name == "api").QuotaUsed ?? 0;

        public async ValueTask DisposeAsync()
        {
            await Harness.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static async Task<Setup> StartAsync(string quota)
    {
        var server = await TestHttpServer.StartAsync(context => context.Response.WriteAsync("ok", context.RequestAborted));
        var probe = new Probe();
        var harness = await EngineHarness.StartAsync(p =>
        {
            p.Services.AddSingletonProbe(probe);
            p.AddJob<ScriptedHandler, Work>("work", k => k.MaxAttempts = 3);
            p.AddResource("api", r =>
            {
                r.Quota = quota;
                r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
            });
            p.Services.AddHttpClient(Client).AddPacerResources();
        }, o =>
        {
            o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
            o.PollInterval = TimeSpan.FromMilliseconds(200);
        });
        return new Setup { Server = server, Harness = harness, Probe = probe };
    }

    private static async Task CallAsync(Setup s, int calls, CancellationToken cancellationToken)
    {
        for (var i = 0; i < calls; i++)
            (await s.Http.GetAsync(s.Server.Url($"/items/{i}"), cancellationToken)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task CallsSpendTheReservation_AndWhatIsLeftGoesBack()
    {
        await using var s = await StartAsync("100/day@America/Los_Angeles");
        long usedWhileRunning = -1;
        s.Probe.Run = async (_, c) =>
        {
            await s.Resources.ReserveAsync("api", 10, c.CancellationToken);
            await CallAsync(s, 3, c.CancellationToken);
            usedWhileRunning = await s.UsedAsync();
        };

        await s.Harness.Client.EnqueueAsync("work", "{}");
        await s.Harness.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.Equal(3, s.Server.Requests.Count);
        Assert.Equal(10, usedWhileRunning); // the three calls were paid by the reservation, not a second time
        Assert.Equal(3, await s.UsedAsync()); // the seven unspent units went back
    }

    [Fact]
    public async Task CallsBeyondTheReservation_PayTheirOwnWay()
    {
        await using var s = await StartAsync("100/day@America/Los_Angeles");
        s.Probe.Run = async (_, c) =>
        {
            await s.Resources.ReserveAsync("api", 2, c.CancellationToken);
            await CallAsync(s, 5, c.CancellationToken);
        };

        await s.Harness.Client.EnqueueAsync("work", "{}");
        await s.Harness.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.Equal(5, await s.UsedAsync());
    }

    [Fact]
    public async Task QuotaThatCannotPayForItAll_RefusesBeforeAnyCall_AndTheJobWaitsForTheReset()
    {
        await using var s = await StartAsync("20/day@America/Los_Angeles");
        s.Probe.Run = async (w, c) =>
        {
            var calls = w.Name == "big" ? 15 : 10;
            await s.Resources.ReserveAsync("api", calls, c.CancellationToken);
            await CallAsync(s, calls, c.CancellationToken);
        };

        await s.Harness.Client.EnqueueAsync("work", """{"name":"big"}""");
        await s.Harness.WaitForCountAsync("pacer.jobs.completed", 1);
        var second = await s.Harness.Client.EnqueueAsync("work", """{"name":"next"}""");
        await s.Harness.WaitForCountAsync("pacer.jobs.snoozed", 1);

        var row = await s.Harness.GetAsync(second.Id);
        Assert.Equal(JobState.Waiting, row.State);
        Assert.Equal(0, row.Attempt);
        Assert.Equal("waiting for api quota (20/day@America/Los_Angeles), resets 2026-11-26 08:00:00 UTC", row.WaitReason);
        Assert.Equal(15, s.Server.Requests.Count); // not one call of the job that could not finish
        Assert.Equal(15, await s.UsedAsync());
    }

    [Fact]
    public async Task ReservationOfAnAttemptThatNeverEnded_GoesBackWhenItsJobIsRescued()
    {
        // A process reserved 10 units, spent 3 of them on calls, and was killed: its record of the 7 left is in the store.
        await using var h = await EngineHarness.StartAsync(p =>
        {
            p.Services.AddSingletonProbe(new Probe());
            p.AddJob<ScriptedHandler, Work>("work", k => k.MaxAttempts = 3);
            p.AddResource("api", r => r.Quota = "100/day@America/Los_Angeles");
        }, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);
        var gonePid = await StoppedWorker.ProcessIdAsync();
        var job = await h.Client.EnqueueAsync(new Work());
        var now = h.Time.GetUtcNow();
        Assert.Single(await h.Store.FetchAsync(new FetchRequest("default", 1, now, TimeSpan.FromSeconds(30), $"{Environment.MachineName}:{gonePid}:killed") { OnlyIds = [job.Id] }, CancellationToken.None));
        var window = h.Host.Services.GetRequiredService<Pacer.Resources.ResourceCatalogSource>().Current.Find("api")!.Quota!.WindowAt(now).Start.UtcTicks;
        var state = new Pacer.Resources.ResourceState { Quota = new Pacer.Resources.QuotaData { Window = window } };
        state.Quota.Reserve(job.Id, 1, 10);
        state.Quota.Spend(job.Id, 1, 3);
        await h.Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api"], now, _ => new ResourceUpdate<int>([new ResourceWrite("api", state.ToJson())], 0)), CancellationToken.None);
        var resources = h.Host.Services.GetRequiredService<IPacerResources>();
        Assert.Equal(10, (await resources.ListAsync()).Single(r => r.Name == "api").QuotaUsed);

        await h.Host.StartAsync(); // takes the killed process's job back, and its reservation with it
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.Equal(3, (await resources.ListAsync()).Single(r => r.Name == "api").QuotaUsed);
    }

    [Fact]
    public async Task ReservationLeftByAnAttemptThatEnded_GoesBackAtTheCleanersPace()
    {
        // The refund at an attempt's end failed (a store error): its record of 7 unspent units outlived the attempt,
        // whose job has completed since. The reservation of a job that is still running stays.
        var probe = new Probe();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = (args, _) => args.Name == "hold" ? hold.Task : Task.CompletedTask;
        await using var h = await EngineHarness.StartAsync(p =>
        {
            p.Services.AddSingletonProbe(probe);
            p.AddJob<ScriptedHandler, Work>("work", k => k.MaxAttempts = 3);
            p.AddResource("api", r => r.Quota = "100/day@America/Los_Angeles");
        }, o => o.MaintenanceInterval = TimeSpan.FromMilliseconds(200));
        var ended = await h.Client.EnqueueAsync(new Work());
        var running = await h.Client.EnqueueAsync(new Work("hold"));
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromMilliseconds(50));
        await h.AdvanceUntilAsync(h.UntilStateAsync(running.Id, JobState.Running), TimeSpan.FromMilliseconds(50));
        var now = h.Time.GetUtcNow();
        var window = h.Host.Services.GetRequiredService<Pacer.Resources.ResourceCatalogSource>().Current.Find("api")!.Quota!.WindowAt(now).Start.UtcTicks;
        var state = new Pacer.Resources.ResourceState { Quota = new Pacer.Resources.QuotaData { Window = window } };
        state.Quota.Reserve(ended.Id, 1, 10);
        state.Quota.Spend(ended.Id, 1, 3);
        state.Quota.Reserve(999_999, 1, 5); // a job this test never made: gone, so its reservation goes too
        state.Quota.Reserve(running.Id, 1, 4);
        await h.Store.UpdateResourcesAsync(new ResourceUpdateRequest<int>(["api"], now, _ => new ResourceUpdate<int>([new ResourceWrite("api", state.ToJson())], 0)), CancellationToken.None);
        var resources = h.Host.Services.GetRequiredService<IPacerResources>();
        Assert.Equal(19, (await resources.ListAsync()).Single(r => r.Name == "api").QuotaUsed);

        var released = EngineHarness.UntilAsync(async () => (await resources.ListAsync()).Single(r => r.Name == "api").QuotaUsed == 7);
        await h.AdvanceUntilAsync(released, TimeSpan.FromSeconds(5), maxSteps: 50);

        var row = (await h.Store.ListResourcesAsync(CancellationToken.None)).Single(r => r.Name == "api");
        var left = Assert.Single(Pacer.Resources.ResourceState.Parse(row.State).Quota!.Reserved!);
        Assert.Equal((running.Id, 1, 4), (left.Job, left.Attempt, left.Units));
        hold.SetResult();
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 2), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task OutsideAJob_IsRefused()
    {
        await using var s = await StartAsync("100/day");

        await Assert.ThrowsAsync<InvalidOperationException>(() => s.Resources.ReserveAsync("api", 1));
    }
}
