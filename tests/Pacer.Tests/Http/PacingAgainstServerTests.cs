using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pacer.Tests.BuiltIn;
using Xunit.Abstractions;

namespace Pacer.Tests.Http;

/// <summary>
/// Real time, real server: 2,000 http jobs through a resource limited to 50 calls/s, against a server that enforces
/// 50/s itself and answers 429 beyond it. Takes about 40 s, the time 2,000 calls at 50/s take. Runs alone: the server
/// shares this process, and other tests' load would stall it and bunch the calls it sees.
/// </summary>
[Collection(RealTimeCollection.Name)]
public sealed class PacingAgainstServerTests(ITestOutputHelper output)
{
    private const int Jobs = 2000;
    private const int Limit = 50;

    [Fact]
    public async Task TwoThousandJobsAt50PerSecond_ZeroRejections_AtLeast95PercentOfTheLimit()
    {
        // The rate-limited server runs in this process and judges each call when its handler runs. If the thread pool
        // has to grow mid-run (it adds a thread about every half second under a blocked or busy pool), requests wait in
        // Kestrel and reach the handler together, which the server counts as a burst the clients never sent. Enough
        // threads up front keep the server's clock honest. The engine shares this pool and is spared the ramp-up too: the
        // ramp-up is the host's to tune, what this test checks is admission.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
        var limiter = new ServerTokenBucket(Limit, capacity: 10);
        var accepted = new List<long>(Jobs);
        var rejected = 0;
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            if (context.Request.Path == "/warm-up")
                return;
            if (!limiter.TryTake())
            {
                Interlocked.Increment(ref rejected);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "1";
                return;
            }
            lock (accepted)
                accepted.Add(Stopwatch.GetTimestamp());
            await context.Response.WriteAsync("ok", context.RequestAborted);
        });
        // The server's first requests wait for its own start-up (JIT); warm it so its clock measures the client, not itself.
        using (var warm = new HttpClient())
        {
            for (var i = 0; i < 5; i++)
                (await warm.GetAsync(server.Url("/warm-up"))).EnsureSuccessStatusCode();
        }
        var directory = Directory.CreateTempSubdirectory("pacer-pacing-");
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddPacer(p => p
                .UseSqlite(Path.Combine(directory.FullName, "pacer.db"))
                .AddBuiltInJobs()
                .AddResource("hooks", r =>
                {
                    // As in the configuration docs' example: a small burst lets a late dispatch pass catch up on a
                    // busy machine; the server tolerates twice that.
                    r.Rate = $"{Limit}/s";
                    r.Burst = 5;
                    r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
                }));
            using var host = builder.Build();
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IPacerClient>();
            await client.EnqueueManyAsync([.. Enumerable.Range(0, Jobs).Select(i =>
                new EnqueueRequest("http", $$"""{"url":"{{server.Url($"/hooks/{i}")}}","method":"POST","body":"{}"}"""))]);

            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
                await host.Services.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(timeout.Token);
            await host.StopAsync();
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        var seconds = Stopwatch.GetElapsedTime(accepted[0], accepted[^1]).TotalSeconds;
        var rate = (accepted.Count - 1) / seconds;
        var bunch = 0;
        for (int i = 0, j = 0; i < accepted.Count; i++)
        {
            while (Stopwatch.GetElapsedTime(accepted[j], accepted[i]) >= TimeSpan.FromMilliseconds(100))
                j++;
            bunch = Math.Max(bunch, i - j + 1);
        }
        output.WriteLine($"calls {accepted.Count}, rejected {rejected}, first to last {seconds:F2} s, achieved {rate:F2}/s of {Limit}/s ({rate / Limit:P1}), most in 100 ms: {bunch}");
        Assert.Equal(0, rejected);
        Assert.Equal(Jobs, accepted.Count);
        Assert.True(rate >= 0.95 * Limit, $"achieved {rate:F2}/s, below 95% of {Limit}/s");
        // A burst of 5 lets the first calls go at once, so first-to-last spans (Jobs - Burst) intervals, not Jobs - 1;
        // 1% on top allows for the clock's granularity between the client's stamps.
        const double ceiling = Limit * (Jobs - 1.0) / (Jobs - 5.0) * 1.01;
        Assert.True(rate <= ceiling, $"achieved {rate:F2}/s, above the limit");
    }

    /// <summary>
    /// The server's own limit, written independently of Pacer's: a token bucket refilled continuously at the limit,
    /// holding up to <paramref name="capacity"/> calls, as real APIs tolerate a short burst. Here it absorbs up to
    /// 200 ms of stall between a call leaving the client and the server reading it (a GC pause, a busy CI machine):
    /// Pacer spaces calls evenly, but calls delayed together arrive together.
    /// </summary>
    private sealed class ServerTokenBucket(int perSecond, int capacity)
    {
        private readonly Lock _lock = new();
        private double _tokens = capacity;
        private long _last = Stopwatch.GetTimestamp();

        public bool TryTake()
        {
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                _tokens = Math.Min(capacity, _tokens + (Stopwatch.GetElapsedTime(_last, now).TotalSeconds * perSecond));
                _last = now;
                if (_tokens < 1)
                    return false;
                _tokens -= 1;
                return true;
            }
        }
    }
}
