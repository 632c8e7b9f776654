using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pacer.Bench.Systems;
using Pacer.Storage;
using Polly;
using Polly.RateLimiting;

namespace Pacer.Bench.Pacing;

/// <summary>One pacing case: a limit, how many slots the workers have, how many calls to make.</summary>
/// <param name="Limit">Calls per second the server accepts, and the limit each engine is given.</param>
/// <param name="SlotsPerPermit">1 or 4: worker slots per permit one call's service time holds (see <see cref="Slots"/>).</param>
/// <param name="Calls">Jobs enqueued, one call each.</param>
internal sealed record PacingCase(int Limit, int SlotsPerPermit, int Calls)
{
    /// <summary>How long the server takes to answer an accepted call: a remote API's latency.</summary>
    public static readonly TimeSpan ServiceTime = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Worker slots (Pacer's Concurrency, Hangfire's WorkerCount): <see cref="SlotsPerPermit"/> x the permits the limit
    /// hands out during one service time (limit x 100 ms), at least 1. At 1x the slots are exactly enough to reach the
    /// limit if every job took exactly its 100 ms call: any overhead per job shows as a lower rate. At 4x the workers
    /// could go four times faster and only pacing holds them back.
    /// </summary>
    public int Slots => Math.Max(1, (int)Math.Round(SlotsPerPermit * Limit * ServiceTime.TotalSeconds));

    public string Name => $"{Limit:N0}/s, {SlotsPerPermit}x ({Slots} slots)";
}

/// <summary>What one system achieved on one case.</summary>
/// <param name="Attempts">Job executions (Pacer: attempts started, including those put back without using an attempt; Hangfire: job method calls).</param>
/// <param name="LimiterRejections">Executions the client-side rate limiter refused with an exception (Hangfire + Polly only).</param>
/// <param name="Steady">First to last accepted call.</param>
/// <param name="Wall">From starting the workers to the last accepted call.</param>
/// <param name="MeanJob">How long a job held its worker slot on average (Pacer: handler run time; Hangfire: the job method).</param>
internal sealed record PacingOutcome(int Accepted, int Violations, int LimiterRejections, long Attempts, TimeSpan Steady, TimeSpan Wall, bool Finished, TimeSpan MeanJob)
{
    public double Rate => Accepted > 1 ? (Accepted - 1) / Steady.TotalSeconds : 0;

    /// <summary>Executions that did not end in an accepted call: 429s, limiter rejections, anything else that failed.</summary>
    public long Wasted => Attempts - Accepted;
}

internal interface IPacingSystem
{
    string Name { get; }

    string Settings { get; }

    /// <summary>Whether this system runs the case (a burst equal to 1 would repeat the Burst 1 row).</summary>
    bool Runs(PacingCase pacingCase) => true;

    Task<PacingOutcome> RunAsync(PacingCase pacingCase, RateLimitedServer server, string directory, TimeSpan patience, CancellationToken cancellationToken);
}

/// <summary>
/// Pacer on SQLite running the built-in <c>http</c> kind: each job is one GET to the server, whose host is a resource with
/// the case's <c>Rate</c>. Admission starts jobs as permits come; the HTTP integration paces the calls themselves.
/// </summary>
/// <param name="wideBurst">False: <c>Burst</c> 1. True: <c>Burst</c> = limit / 20 (half the server's tolerance of 100 ms).</param>
internal sealed class PacerPacingSystem(bool wideBurst) : IPacingSystem
{
    public string Name => wideBurst ? "Pacer, Burst N/20" : "Pacer, Burst 1";

    public string Settings => wideBurst
        ? "The same with Burst = limit / 20 (5 at 100/s, 50 at 1,000/s): half of what the server tolerates, so a late dispatch pass can catch up. At 10/s that is 1, the row above, so it is not run."
        : "Pacer on SQLite (defaults, WAL, Synchronous Normal), built-in http kind (GET, one call per job, no retries needed), " +
          "resource with Rate = \"N/s\", Burst 1 and Hosts = the server; Concurrency = slots; other options default. Jobs " +
          "enqueued first (EnqueueManyAsync), then the engine started.";

    public static int BurstFor(int limit) => Math.Max(1, limit / 20);

    public bool Runs(PacingCase pacingCase) => !wideBurst || BurstFor(pacingCase.Limit) > 1;

    public async Task<PacingOutcome> RunAsync(PacingCase pacingCase, RateLimitedServer server, string directory, TimeSpan patience, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddPacer(pacer => pacer
            .UseSqlite(Path.Combine(directory, "pacer.db"))
            .AddBuiltInJobs()
            .AddResource("api", resource =>
            {
                resource.Rate = $"{pacingCase.Limit}/s";
                resource.Burst = wideBurst ? BurstFor(pacingCase.Limit) : 1;
                resource.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
            })
            .Configure(options => options.Concurrency = pacingCase.Slots));
        using var host = builder.Build();
        // The engine migrates when it starts; the jobs are written before that.
        await host.Services.GetRequiredService<IJobStore>().MigrateAsync(cancellationToken);
        var client = host.Services.GetRequiredService<IPacerClient>();
        await client.EnqueueManyAsync([.. Enumerable.Range(0, pacingCase.Calls).Select(i =>
            new EnqueueRequest("http", $$"""{"url":"{{server.Url($"/api/{i}")}}","method":"GET"}"""))], cancellationToken);

        using var counters = new PacerCounters();
        var allAccepted = server.Reset(pacingCase.Limit, PacingCase.ServiceTime, pacingCase.Calls);
        var begin = Stopwatch.GetTimestamp();
        await host.StartAsync(cancellationToken);
        var finished = await Completes(allAccepted, patience, cancellationToken);
        if (finished)
        {
            using var drained = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            drained.CancelAfter(TimeSpan.FromSeconds(30));
            await host.Services.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(drained.Token);
        }
        await host.StopAsync(CancellationToken.None);
        return Outcome(server, begin, counters.Started, limiterRejections: 0, finished, counters.MeanDuration);
    }

    internal static async Task<bool> Completes(Task task, TimeSpan patience, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(patience, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    internal static PacingOutcome Outcome(RateLimitedServer server, long begin, long attempts, int limiterRejections, bool finished, TimeSpan meanJob)
    {
        var accepted = server.Accepted;
        return new PacingOutcome(
            accepted.Length,
            server.Violations,
            limiterRejections,
            attempts,
            accepted.Length > 1 ? Stopwatch.GetElapsedTime(accepted[0], accepted[^1]) : TimeSpan.Zero,
            accepted.Length > 0 ? Stopwatch.GetElapsedTime(begin, accepted[^1]) : TimeSpan.Zero,
            finished,
            meanJob);
    }

    /// <summary>
    /// Pacer's own counters for the case: attempts started (<c>pacer.jobs.started</c>, including runs put back without
    /// using an attempt) and the mean handler run time (<c>pacer.job.duration</c>).
    /// </summary>
    private sealed class PacerCounters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _lock = new();
        private long _started;
        private long _durations;
        private double _durationSum;

        public PacerCounters()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PacerTelemetryNames.Meter && instrument.Name is "pacer.jobs.started" or "pacer.job.duration")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _started, value));
            _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
            {
                lock (_lock)
                {
                    _durations++;
                    _durationSum += value;
                }
            });
            _listener.Start();
        }

        public long Started => Interlocked.Read(ref _started);

        public TimeSpan MeanDuration
        {
            get
            {
                lock (_lock)
                    return _durations == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(_durationSum / _durations);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>
/// Hangfire on InMemory storage, with the pattern .NET users write today: a Polly v8 pipeline with
/// <c>AddRateLimiter(new SlidingWindowRateLimiter(...))</c> at N per second around the call inside the job method, and
/// Hangfire's automatic retry (its default: 10 attempts) for whatever fails, limiter rejections and 429s alike.
/// </summary>
internal sealed class HangfirePollyPacingSystem : IPacingSystem
{
    public string Name => "Hangfire + Polly";

    public string Settings =>
        "Hangfire.Core 1.8.25 on Hangfire.InMemory 1.0.0, WorkerCount = slots, SchedulePollingInterval 1 s, default filters " +
        "(AutomaticRetry: 10 attempts, first retry after 15-45 s). The job: a static Polly 8.9.1 ResiliencePipeline with " +
        "AddRateLimiter(new SlidingWindowRateLimiter { PermitLimit = N, Window = 1 s, SegmentsPerWindow = 4 }) (Polly's " +
        "documented example, scaled to N/s; QueueLimit 0, its default: a call over the limit is rejected with " +
        "RateLimiterRejectedException) around HttpClient.GetAsync + EnsureSuccessStatusCode (a 429 throws).";

    public async Task<PacingOutcome> RunAsync(PacingCase pacingCase, RateLimitedServer server, string directory, TimeSpan patience, CancellationToken cancellationToken)
    {
        HangfireFactory.EnsureConfigured();
        using var storage = new InMemoryStorage(new InMemoryStorageOptions());
        var client = new BackgroundJobClient(storage);
        for (var i = 0; i < pacingCase.Calls; i++)
        {
            var url = server.Url($"/api/{i}");
            client.Enqueue(() => PacingJobs.CallAsync(url, CancellationToken.None));
        }
        await using var limiter = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = pacingCase.Limit,
            Window = TimeSpan.FromSeconds(1),
            SegmentsPerWindow = 4,
        });
        PacingJobs.Reset(new ResiliencePipelineBuilder().AddRateLimiter(limiter).Build());

        var allAccepted = server.Reset(pacingCase.Limit, PacingCase.ServiceTime, pacingCase.Calls);
        var begin = Stopwatch.GetTimestamp();
        using var jobServer = new BackgroundJobServer(
            new BackgroundJobServerOptions { WorkerCount = pacingCase.Slots, SchedulePollingInterval = HangfireFactory.SchedulePollingInterval },
            storage);
        var finished = await PacerPacingSystem.Completes(allAccepted, patience, cancellationToken);
        jobServer.SendStop();
        await jobServer.WaitForShutdownAsync(CancellationToken.None);
        return PacerPacingSystem.Outcome(server, begin, PacingJobs.Attempts, PacingJobs.Rejections, finished, PacingJobs.MeanDuration);
    }
}

/// <summary>Hangfire finds job methods by type and name, so the pacing job lives on a public type.</summary>
public static class PacingJobs
{
    private static readonly HttpClient Http = new();
    private static ResiliencePipeline _pipeline = ResiliencePipeline.Empty;
    private static long _attempts;
    private static int _rejections;
    private static long _elapsedTicks;

    internal static long Attempts => Interlocked.Read(ref _attempts);

    internal static int Rejections => Volatile.Read(ref _rejections);

    internal static TimeSpan MeanDuration => Attempts == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _elapsedTicks) / Attempts);

    internal static void Reset(ResiliencePipeline pipeline)
    {
        _pipeline = pipeline;
        Interlocked.Exchange(ref _attempts, 0);
        Volatile.Write(ref _rejections, 0);
        Interlocked.Exchange(ref _elapsedTicks, 0);
    }

    /// <summary>One call to the rate-limited API, as a user would write it with Polly; the counters are the benchmark's.</summary>
    public static async Task CallAsync(string url, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        var start = Stopwatch.GetTimestamp();
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                using var response = await Http.GetAsync(url, token);
                response.EnsureSuccessStatusCode();
            }, cancellationToken);
        }
        catch (RateLimiterRejectedException)
        {
            Interlocked.Increment(ref _rejections);
            throw;
        }
        finally
        {
            Interlocked.Add(ref _elapsedTicks, Stopwatch.GetTimestamp() - start);
        }
    }
}
