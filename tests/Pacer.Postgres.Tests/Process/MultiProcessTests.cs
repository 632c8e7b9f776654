using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Pacer.Storage;
using Pacer.Tests.BuiltIn;
using Pacer.Tests.Process;
using Xunit.Abstractions;

namespace Pacer.Postgres.Tests.Process;

/// <summary>
/// Real worker processes (tests/Pacer.TestWorker) sharing one schema: SIGKILLed at random moments and restarted, their
/// leader killed, their migrations raced, a rate limit shared. Run one at a time: each loads both cores on its own.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class MultiProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = PostgresServer.NewSchema();
    private readonly string _directory = Directory.CreateTempSubdirectory("pacer-pg-processes-").FullName;
    private readonly List<WorkerProcess> _workers = [];
    private PostgresServer _server = null!;

    private string Log => Path.Combine(_directory, "events.log");

    // Schemas made by a second try of the shared-limit test, dropped with the test's own.
    private readonly List<string> _extraSchemas = [];

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
            worker.Dispose();
        foreach (var schema in _extraSchemas.Append(_schema).Distinct())
            await _server.DropSchemaAsync(schema);
        Directory.Delete(_directory, recursive: true);
    }

    private WorkerProcess Start(params string[] extra) => StartOn(_schema, extra);

    private WorkerProcess StartOn(string schema, params string[] extra)
    {
        var connection = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { SearchPath = schema, MaxPoolSize = 20 }.ConnectionString;
        var worker = WorkerProcess.Start(connection, Log, ["--schema", schema, .. extra]);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>
    /// The scenario, sized for two cores: 10,000 jobs, three workers, six SIGKILLs at random moments each
    /// followed by a restart. Every job completes, none is lost, no effect is written twice, and the claim log shows
    /// that no job ever ran under two live leases: a job runs again only after the worker that ran it was killed or
    /// the rescuer found its lease expired.
    /// </summary>
    [Fact]
    public async Task ThreeWorkers_KilledAndRestarted_EveryJobCompletes_NoEffectDoubles_NoJobHeldTwice()
    {
        const int jobs = 10_000;
        const int kills = 6;
        await PrepareAsync(jobs);
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        string[] args = ["--concurrency", "8", "--lease-ms", "2000", "--work-ms", "5"];
        var timer = Stopwatch.StartNew();
        var live = new List<WorkerProcess> { Start(args), Start(args), Start(args) };
        foreach (var worker in live)
            await EventLogFile.WaitForLineAsync(Log, l => l == $"started {worker.Id}", TimeSpan.FromSeconds(60));

        var killedAt = new Dictionary<int, long>();
        for (var i = 0; i < kills; i++)
        {
            await Task.Delay(random.Next(300, 1200)); // a random moment in the middle of work
            var victim = live[random.Next(live.Count)];
            killedAt[victim.Id] = DateTime.UtcNow.Ticks;
            victim.Kill();
            live.Remove(victim);
            live.Add(Start(args));
        }
        var completed = await WaitForCompletedAsync(jobs, TimeSpan.FromMinutes(4));
        var elapsed = timer.Elapsed;
        foreach (var worker in live)
            worker.Kill();

        var executions = EventLogFile.Lines(Log).Where(l => l.StartsWith("exec ", StringComparison.Ordinal)).Select(Execution.Parse).ToList();
        var effects = await EffectCountsAsync();
        var held = await HeldTwiceAsync(executions, killedAt);
        var states = await CountByStateAsync();
        output.WriteLine($"jobs {jobs}, kills {killedAt.Count}, completed {completed} in {elapsed.TotalSeconds:F1} s, executions {executions.Count}, " +
                         $"re-executions {executions.Count - executions.Select(e => e.Job).Distinct().Count()}, effects {effects.Values.Sum()}, " +
                         $"held twice {held.Count}");
        foreach (var line in held.Take(10))
            output.WriteLine(line);

        Assert.Equal(kills, killedAt.Count);
        Assert.Equal(jobs, states.GetValueOrDefault("completed"));
        Assert.Equal(jobs, states.Values.Sum());
        Assert.Equal(jobs, effects.Count);
        Assert.All(effects, e => Assert.Equal(1, e.Value));
        Assert.Empty(held);
    }

    private sealed record Execution(long Job, int Attempt, int Pid, long Ticks)
    {
        public static Execution Parse(string line)
        {
            var parts = line.Split(' ');
            return new(long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture),
                int.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Every later execution of a job must start after the lease of the one before it ended: its process was killed
    /// before, or the rescuer found that lease expired (its LeaseExpired error for that attempt, recorded when the
    /// store saw the expiry) before. On a loaded machine a live worker can miss heartbeats past its 2 s lease; then
    /// its job runs again (at least once), and its late completion is rejected by the token.
    /// </summary>
    private async Task<List<string>> HeldTwiceAsync(List<Execution> executions, Dictionary<int, long> killedAt)
    {
        var problems = new List<string>();
        await using var store = OpenStore();
        foreach (var job in executions.GroupBy(e => e.Job).Where(g => g.Count() > 1))
        {
            var record = await store.GetAsync(job.Key, CancellationToken.None);
            var ordered = job.OrderBy(e => e.Ticks).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                var before = ordered[i - 1];
                var next = ordered[i];
                var killedFirst = killedAt.TryGetValue(before.Pid, out var killed) && killed <= next.Ticks;
                var expiredFirst = record?.Errors.Any(e => e.Type == "Pacer.LeaseExpired" && e.Attempt == before.Attempt && e.At.UtcTicks <= next.Ticks) == true;
                if (!killedFirst && !expiredFirst)
                    problems.Add($"job {job.Key}: attempt {next.Attempt} in {next.Pid} started while {before.Pid} held attempt {before.Attempt} under a live lease");
            }
        }
        return problems;
    }

    [Fact]
    public async Task LeaderKilled_AnotherProcessTakesOverWithinTenSeconds()
    {
        await PrepareAsync(0);
        var first = Start();
        var second = Start();
        await EventLogFile.WaitForLineAsync(Log, l => l == $"started {first.Id}", TimeSpan.FromSeconds(60));
        await EventLogFile.WaitForLineAsync(Log, l => l == $"started {second.Id}", TimeSpan.FromSeconds(60));
        var leader = await WaitForLeaderAsync(_ => true, TimeSpan.FromSeconds(30));
        var (victim, survivor) = OwnerPid(leader) == first.Id ? (first, second) : (second, first);
        Assert.Equal(victim.Id, OwnerPid(leader));

        var timer = Stopwatch.StartNew();
        victim.Kill();
        var next = await WaitForLeaderAsync(owner => OwnerPid(owner) == survivor.Id, TimeSpan.FromSeconds(30));
        output.WriteLine($"leader {leader} killed; {next} took over after {timer.Elapsed.TotalSeconds:F2} s");

        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(10), $"takeover took {timer.Elapsed}");
    }

    private static int OwnerPid(string owner) => int.Parse(owner.Split(':')[^2], CultureInfo.InvariantCulture);

    private async Task<string> WaitForLeaderAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        await using var data = _server.OpenDataSource();
        while (true)
        {
            await using (var command = data.CreateCommand($"SELECT owner FROM \"{_schema}\".pacer_leaders WHERE name = 'maintenance'"))
            {
                if (await command.ExecuteScalarAsync() is string owner && match(owner))
                    return owner;
            }
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"No matching leader after {timeout}.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task FourProcessesStartingOnAnEmptySchema_MigrateItOnce()
    {
        // Nothing prepared: each worker migrates as it starts, all at the same moment.
        var workers = Enumerable.Range(0, 4).Select(_ => Start("--drain")).ToList();

        foreach (var worker in workers)
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromMinutes(2)));

        await using var data = _server.OpenDataSource();
        await using var command = data.CreateCommand($"SELECT count(*), count(DISTINCT version) FROM \"{_schema}\".pacer_migrations");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.True(reader.GetInt64(0) >= 1);
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(4, EventLogFile.Lines(Log).Count(l => l.StartsWith("drained ", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Three processes send http jobs to one server through a resource limited to 50 calls/s; the server enforces
    /// 50/s itself (a token bucket holding 10, as in the single-process pacing test) and answers 429 beyond it. The
    /// permits come from the shared resource row (admission takes them when it fetches the claimed jobs), so the three
    /// together keep to the limit and still use it. The resource allows a burst of 2, so a dispatch pass that comes late
    /// can catch up one permit (the server's bucket of 10 absorbs that). 1,000 calls: about 20 s.
    /// </summary>
    [Fact]
    public async Task ThreeProcessesSharingA50PerSecondLimit_ZeroRejections_AtLeast95Percent()
    {
        // The rate-limited server runs in this process and judges each call when its handler runs. If the thread pool
        // has to grow mid-run (it adds a thread about every half second under a blocked or busy pool), requests wait in
        // Kestrel and reach the handler together, which the server counts as a burst the clients never sent. Enough
        // threads up front keep the server's clock honest; Pacer's side is in other processes (or untouched by this).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
        // Real time on a shared two-core machine: a stall of 200 ms anywhere (a worker, the server in this process,
        // another project's tests) bunches ten calls, and a 429 then pauses the resource for its Retry-After. One
        // more try on a fresh schema tells such a stall from a regression, which fails both; both runs are printed.
        var first = await RunSharedLimitAsync(attempt: 1);
        if (first is null)
            return;
        output.WriteLine($"attempt 1 failed ({first}); trying once more");
        var second = await RunSharedLimitAsync(attempt: 2);
        Assert.True(second is null, second);
    }

    /// <returns>Null when the run kept the limit, else what went wrong.</returns>
    private async Task<string?> RunSharedLimitAsync(int attempt)
    {
        const int calls = 1000;
        const int limit = 50;
        const int warmUps = 45;
        var bucket = new ServerTokenBucket(limit, capacity: 10);
        var accepted = new List<long>(calls);
        var rejected = new List<long>();
        var warmed = 0;
        var warm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            if (context.Request.Path.StartsWithSegments("/warm-up"))
            {
                if (Interlocked.Increment(ref warmed) == warmUps)
                    warm.TrySetResult();
                return;
            }
            if (!bucket.TryTake())
            {
                lock (rejected)
                    rejected.Add(Stopwatch.GetTimestamp());
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "1";
                return;
            }
            lock (accepted)
            {
                accepted.Add(Stopwatch.GetTimestamp());
                if (accepted.Count == calls)
                    last.TrySetResult();
            }
            await context.Response.WriteAsync("ok", context.RequestAborted);
        });
        using (var client = new HttpClient())
        {
            for (var i = 0; i < 5; i++)
                (await client.GetAsync(server.Url("/warm-up/server"))).EnsureSuccessStatusCode();
        }
        var schema = attempt == 1 ? _schema : PostgresServer.NewSchema();
        _extraSchemas.Add(schema);
        await PrepareAsync(0, schema);
        var host = $"{server.BaseAddress.Host}:{server.BaseAddress.Port}";
        var workers = Enumerable.Range(0, 3).Select(_ => StartOn(schema, "--concurrency", "3", "--rate-host", host, "--rate", $"{limit}/s", "--burst", "2")).ToList();
        foreach (var worker in workers)
            await EventLogFile.WaitForLineAsync(Log, l => l == $"started {worker.Id}", TimeSpan.FromSeconds(60));

        await using (var store = OpenStore(schema))
        {
            // Warm-up calls first (paced like the others, not counted by the server): a process's first call compiles
            // the whole HTTP stack, and the calls it holds meanwhile would leave together once it is done.
            await EnqueueHttpAsync(store, warmUps, i => server.Url($"/warm-up/{i}"));
            await warm.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await EnqueueHttpAsync(store, calls, i => server.Url($"/hooks/{i}"));
        }
        await last.Task.WaitAsync(TimeSpan.FromSeconds(120));

        var seconds = Stopwatch.GetElapsedTime(accepted[0], accepted[^1]).TotalSeconds;
        var rate = (accepted.Count - 1) / seconds;
        foreach (var worker in workers)
            worker.Kill();
        var summary = $"calls {accepted.Count}, rejected {rejected.Count}, first to last {seconds:F2} s, achieved {rate:F2}/s of {limit}/s ({rate / limit:P1})";
        output.WriteLine($"attempt {attempt}: {summary}");
        foreach (var at in rejected.Take(20))
            output.WriteLine($"429 at {Stopwatch.GetElapsedTime(accepted[0], at).TotalSeconds:F3} s");
        // Above the limit is never a stall: no second try for that.
        Assert.True(rate <= limit * 1.01, $"achieved {rate:F2}/s, above the limit");
        return rejected.Count == 0 && rate >= 0.95 * limit ? null : summary;
    }

    private static Task EnqueueHttpAsync(IJobStore store, int count, Func<int, string> url)
    {
        var now = TimeProvider.System.GetUtcNow();
        return store.InsertManyAsync(new InsertManyRequest([.. Enumerable.Range(0, count).Select(i => new JobInsert
        {
            Kind = "http",
            Args = $$"""{"url":"{{url(i)}}","method":"POST","body":"{}"}""",
            ScheduledAt = now,
            // Claimed, so admission hands out the permits as jobs are fetched (a few milliseconds ahead, one
            // transaction per fetch pass), and the call spends the permit its job prepaid.
            Claims = [new ResourceClaim("hooks")],
        })], now), CancellationToken.None);
    }

    /// <summary>The server's own limit, independent of Pacer's: a token bucket refilled continuously, holding a short burst.</summary>
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

    // ----- helpers -----

    private IJobStore OpenStore(string? schema = null) =>
        PostgresJobStoreFactory.Create(new PostgresStoreOptions { ConnectionString = _server.ConnectionString, Schema = schema ?? _schema });

    private async Task PrepareAsync(int jobs, string? schema = null)
    {
        schema ??= _schema;
        await using var store = OpenStore(schema);
        await store.MigrateAsync(CancellationToken.None);
        var now = TimeProvider.System.GetUtcNow();
        var inserts = Enumerable.Range(1, jobs)
            .Select(i => new JobInsert { Kind = "effect", Args = $$"""{"sequence":{{i}}}""", ScheduledAt = now, MaxAttempts = 100 })
            .ToArray();
        if (inserts.Length > 0)
            await store.InsertManyAsync(new InsertManyRequest(inserts, now), CancellationToken.None);
        // No unique constraint on purpose: an effect written twice shows up as a second row.
        await ExecuteAsync($"CREATE TABLE \"{schema}\".effects_log (job_id bigint NOT NULL, pid bigint NOT NULL)");
    }

    private async Task<long> WaitForCompletedAsync(int jobs, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        await using var data = _server.OpenDataSource();
        while (true)
        {
            await using var command = data.CreateCommand($"SELECT count(*) FROM \"{_schema}\".pacer_jobs WHERE state = 'completed'");
            var completed = (long)(await command.ExecuteScalarAsync())!;
            if (completed >= jobs)
                return completed;
            if (deadline.Elapsed > timeout)
                return completed;
            await Task.Delay(200);
        }
    }

    private async Task<Dictionary<string, long>> CountByStateAsync()
    {
        await using var data = _server.OpenDataSource();
        await using var command = data.CreateCommand($"SELECT state, count(*) FROM \"{_schema}\".pacer_jobs GROUP BY state");
        var counts = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    private async Task<Dictionary<long, long>> EffectCountsAsync()
    {
        await using var data = _server.OpenDataSource();
        await using var command = data.CreateCommand($"SELECT job_id, count(*) FROM \"{_schema}\".effects_log GROUP BY job_id");
        var counts = new Dictionary<long, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetInt64(0)] = reader.GetInt64(1);
        return counts;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var data = _server.OpenDataSource();
        await using var command = data.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTests
{
    public const string Name = "Real worker processes on PostgreSQL";
}
