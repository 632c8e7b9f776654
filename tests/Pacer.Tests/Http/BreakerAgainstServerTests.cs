using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Pacer.Tests.BuiltIn;
using Pacer.Tests.Engine;

namespace Pacer.Tests.Http;

/// <summary>A circuit breaker in front of a real server that goes down: it is probed, not hammered, and jobs keep their attempts.</summary>
public sealed class BreakerAgainstServerTests
{
    [Fact]
    public async Task ServerDown_AtMostOneProbePerBreakPeriod_NoJobUsesAnAttempt_AllCompleteWhenItIsBack()
    {
        var down = true;
        EngineHarness? harness = null;
        var hits = new ConcurrentQueue<(DateTimeOffset At, bool Down)>();
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            var isDown = Volatile.Read(ref down);
            hits.Enqueue((harness!.Time.GetUtcNow(), isDown));
            context.Response.StatusCode = isDown ? 500 : 200;
            await context.Response.WriteAsync(isDown ? "down" : "ok", context.RequestAborted);
        });
        await using var h = harness = await EngineHarness.StartAsync(
            p => p.AddBuiltInJobs().AddResource("upstream", r =>
            {
                r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
                r.Breaker = new BreakerOptions { ConsecutiveFailures = 1, Break = "10s", MaxBreak = "10s", Probes = 1 };
            }),
            o =>
            {
                o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
                o.PollInterval = TimeSpan.FromMilliseconds(200);
            });

        var jobs = await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 5).Select(i =>
            new EnqueueRequest("http", $$"""{"url":"{{server.Url($"/orders/{i}")}}","method":"POST","body":"{}"}"""))]);
        Assert.All(await Task.WhenAll(jobs.Select(j => h.GetAsync(j.Id))), j => Assert.Equal("upstream", Assert.Single(j.Claims).Resource));

        // The first wave (admitted while the breaker was still closed) fails and opens it; then a minute of downtime.
        await h.WaitForCountAsync("pacer.jobs.snoozed", 5); // each failed attempt became a wait for the open breaker
        var opened = h.Time.GetUtcNow();
        await h.AdvanceUntilAsync(WaitForTime(h, opened + TimeSpan.FromSeconds(60)), TimeSpan.FromMilliseconds(200), maxSteps: 400);
        // A probe may be on its way back: let it land (the clock stands still, so no new one starts).
        for (var i = 0; i < 100 && (await Task.WhenAll(jobs.Select(j => h.GetAsync(j.Id)))).Any(j => j.State != JobState.Waiting); i++)
            await Task.Delay(20);
        var duringBreaks = hits.Where(x => x.At > opened).ToArray();
        Assert.InRange(hits.Count(x => x.At <= opened), 1, 5);
        Assert.InRange(duringBreaks.Length, 1, 6); // 60 s of 10 s breaks: one probe each at most
        var rows = await Task.WhenAll(jobs.Select(j => h.GetAsync(j.Id)));
        Assert.All(rows, j => Assert.Equal(0, j.Attempt));
        Assert.All(rows, j => Assert.Equal(JobState.Waiting, j.State));
        Assert.Equal(0, h.Count("pacer.jobs.retried") + h.Count("pacer.jobs.discarded"));

        Volatile.Write(ref down, false);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 5), TimeSpan.FromMilliseconds(200), maxSteps: 200);
        Assert.All(await Task.WhenAll(jobs.Select(j => h.GetAsync(j.Id))), j => Assert.Equal(1, j.Attempt));
    }

    private static async Task WaitForTime(EngineHarness h, DateTimeOffset at)
    {
        while (h.Time.GetUtcNow() < at)
            await Task.Delay(5);
    }
}
