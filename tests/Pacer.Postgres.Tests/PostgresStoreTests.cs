using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pacer.Storage;

namespace Pacer.Postgres.Tests;

/// <summary>What only a shared database adds: several stores (as several processes would hold) on one schema.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _schema = PostgresServer.NewSchema();
    private readonly List<IJobStore> _stores = [];
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetAsync();
        await (await OpenAsync()).MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        await _server.DropSchemaAsync(_schema);
    }

    /// <summary>A store with its own connection pool, as another process would have.</summary>
    private Task<IJobStore> OpenAsync(Action<PostgresStoreOptions>? configure = null)
    {
        var options = new PostgresStoreOptions { ConnectionString = _server.ConnectionString, Schema = _schema };
        configure?.Invoke(options);
        var store = PostgresJobStoreFactory.Create(options);
        _stores.Add(store);
        return Task.FromResult(store);
    }

    private static JobInsert Job(string queue = "default") => new() { Kind = "k", Args = "{}", Queue = queue, ScheduledAt = T0 };

    [Fact]
    public async Task Fetch_WithStatisticsTakenWhileTheTableWasEmpty_LooksThePickedJobsUpByPrimaryKey()
    {
        var store = await OpenAsync();
        await using var data = _server.OpenDataSource();
        // A queue worked off and cleaned up, then autovacuum's statistics of the emptied table; then a full queue again.
        await store.InsertManyAsync(new InsertManyRequest([.. Enumerable.Range(0, 5000).Select(_ => Job())], T0), CancellationToken.None);
        foreach (var sql in new[]
        {
            $"UPDATE \"{_schema}\".pacer_jobs SET state = 'completed', finalized_at = now()",
            $"DELETE FROM \"{_schema}\".pacer_jobs",
            $"VACUUM ANALYZE \"{_schema}\".pacer_jobs",
        })
        {
            await using var command = data.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }
        await store.InsertManyAsync(new InsertManyRequest([.. Enumerable.Range(0, 5000).Select(_ => Job())], T0), CancellationToken.None);

        await using var explain = data.CreateCommand("EXPLAIN " + PostgresJobStore.FetchSql.Replace("{s}", $"\"{_schema}\"", StringComparison.Ordinal));
        PostgresJobStore.AddFetchParameters(explain.Parameters, new FetchRequest("default", 10, T0, TimeSpan.FromMinutes(1), "w"), 10);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                plan.Add(reader.GetString(0));
        }

        // The picked ids join the table through its primary key. Driving the UPDATE from the partial fetch index instead
        // (which its statistics say is empty) joins every due job to the picked ids: linear in the queue, per fetch.
        var text = string.Join('\n', plan);
        Assert.Contains("pacer_jobs_pkey", text, StringComparison.Ordinal);
        Assert.Single(plan, line => line.Contains("pacer_jobs_fetch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fetch_ManyFetchersInSeveralPools_ClaimEachJobOnce_WithoutWaitingOnEachOther()
    {
        const int jobs = 2000;
        var stores = new List<IJobStore>();
        for (var i = 0; i < 4; i++)
            stores.Add(await OpenAsync());
        await stores[0].InsertManyAsync(new InsertManyRequest([.. Enumerable.Range(0, jobs).Select(_ => Job())], T0), CancellationToken.None);
        var claimed = new ConcurrentBag<long>();
        var slowest = TimeSpan.Zero;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var fetchers = Enumerable.Range(0, 16).Select(f => Task.Run(async () =>
        {
            await start.Task;
            var store = stores[f % stores.Count];
            while (true)
            {
                var timer = Stopwatch.StartNew();
                var batch = await store.FetchAsync(new FetchRequest("default", 10, T0, TimeSpan.FromSeconds(30), $"w{f}"), CancellationToken.None);
                lock (claimed)
                    slowest = timer.Elapsed > slowest ? timer.Elapsed : slowest;
                if (batch.Count == 0)
                    return;
                foreach (var job in batch)
                    claimed.Add(job.Job.Id);
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(fetchers);

        Assert.Equal(jobs, claimed.Count);
        Assert.Equal(jobs, claimed.Distinct().Count());
        // A fetch that waited for another's row locks would take as long as that whole transaction; skipping keeps
        // every fetch short. Generous, for a busy two-core machine.
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest fetch took {slowest}");
    }

    [Fact]
    public async Task Admission_TwoProcessesSharingAResource_DecideOneAfterTheOtherOnItsLatestState()
    {
        // Each admission spends one unit of a budget of 100 kept in the resource's state; 4 stores race 40 admissions
        // each. Serialised on the resource, exactly 100 jobs are admitted and the budget ends at 0, never below.
        var stores = new List<IJobStore>();
        for (var i = 0; i < 4; i++)
            stores.Add(await OpenAsync());
        var claim = new ResourceClaim("shared-api");
        await stores[0].InsertManyAsync(new InsertManyRequest([.. Enumerable.Range(0, 160).Select(_ => Job() with { Claims = [claim] })], T0), CancellationToken.None);
        await stores[0].UpdateResourcesAsync(new ResourceUpdateRequest<int>(["shared-api"], T0, _ => new([new ResourceWrite("shared-api", "100")], 0)), CancellationToken.None);
        var admitted = 0;

        await Parallel.ForAsync(0, 160, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var result = await stores[i % 4].FetchWithAdmissionAsync(new AdmissionFetchRequest(
                new FetchRequest("default", 1, T0, TimeSpan.FromSeconds(30), $"w{i}"), 1, input =>
                {
                    var budget = int.Parse(input.Resources["shared-api"].State, System.Globalization.CultureInfo.InvariantCulture);
                    var first = input.Candidates[0].Id;
                    return budget > 0
                        ? new AdmissionDecision([first], [], [new ResourceWrite("shared-api", (budget - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))], null)
                        : new AdmissionDecision([], [], [], null);
                }), ct);
            Interlocked.Add(ref admitted, result.Jobs.Count);
        });

        Assert.Equal(100, admitted);
        Assert.Equal("0", Assert.Single(await stores[0].ListResourcesAsync(CancellationToken.None)).State);
    }

    [Fact]
    public async Task CancelMany_AJobAnotherTransactionHolds_IsNotWaitedForWhileHoldingTheOthers()
    {
        var store = await OpenAsync();
        var ids = (await store.InsertManyAsync(new InsertManyRequest([Job(), Job()], T0), CancellationToken.None)).Select(r => r.Id).ToArray();
        await using var data = _server.OpenDataSource();
        await using var other = await data.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        async Task LockAsync(long id)
        {
            await using var command = new Npgsql.NpgsqlCommand($"SELECT 1 FROM \"{_schema}\".pacer_jobs WHERE id = {id} FOR UPDATE", other, transaction);
            await command.ExecuteNonQueryAsync();
        }
        // Another transaction (an engine's, locking several jobs) holds the second job and then wants the first. A bulk
        // cancel that kept the first locked while it waited for the second would deadlock with it.
        await LockAsync(ids[1]);
        var cancel = store.CancelManyAsync(ids, T0.AddMinutes(1), CancellationToken.None);
        await WaitForALockWaitAsync(data);
        await LockAsync(ids[0]).WaitAsync(TimeSpan.FromSeconds(30));
        await transaction.CommitAsync();

        Assert.Equal([CancelResult.Cancelled, CancelResult.Cancelled], await cancel.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.All(await Task.WhenAll(ids.Select(id => store.GetAsync(id, CancellationToken.None))), job => Assert.Equal(JobState.Cancelled, job!.State));
    }

    [Fact]
    public async Task RetryMany_AJobWithTheKeyEnqueuedWhileItLooked_LeavesTheOldJobAsItWas()
    {
        var store = await OpenAsync();
        var old = (await store.InsertManyAsync(new InsertManyRequest([Job() with { UniqueKey = "report:1" }], T0), CancellationToken.None))[0].Id;
        Assert.Equal(CancelResult.Cancelled, await store.CancelAsync(old, T0, CancellationToken.None));
        await using var data = _server.OpenDataSource();
        await using var other = await data.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        // Enqueued, not yet committed: the bulk retry's look at the key's holders cannot see it, its revive waits for it.
        var holder = (await store.InsertManyAsync(new InsertManyRequest([Job() with { UniqueKey = "report:1" }], T0), transaction, CancellationToken.None))[0].Id;
        var retry = store.RetryManyAsync([old], T0.AddMinutes(1), CancellationToken.None);
        await WaitForALockWaitAsync(data);
        await transaction.CommitAsync();

        Assert.Equal([RetryResult.AlreadyWaiting], await retry.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(JobState.Cancelled, (await store.GetAsync(old, CancellationToken.None))!.State);
        Assert.Equal(JobState.Available, (await store.GetAsync(holder, CancellationToken.None))!.State);
    }

    /// <summary>Until a statement on this test's schema waits for a row lock.</summary>
    private async Task WaitForALockWaitAsync(Npgsql.NpgsqlDataSource data)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using var command = data.CreateCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, @schema) > 0");
            command.Parameters.AddWithValue("schema", _schema);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
                return;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "No statement waited for the held job's lock.");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Listen_AnotherProcessEnqueues_HearsTheQueue()
    {
        var listener = await OpenAsync();
        var enqueuer = await OpenAsync();
        var heard = new ConcurrentQueue<string?>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var listen = ((IJobStoreNotifications)listener).ListenAsync(queue =>
        {
            heard.Enqueue(queue);
            if (queue is null)
                listening.TrySetResult();
            else if (queue == "mail")
                mail.TrySetResult();
        }, stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await enqueuer.InsertManyAsync(new InsertManyRequest([Job("mail")], T0), CancellationToken.None);

        await mail.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listen);
        Assert.True(listener.Capabilities.SupportsListenNotify);
    }

    [Fact]
    public async Task Listen_Disabled_CapabilityIsOff()
    {
        var store = await OpenAsync(o => o.ListenNotify = false);

        Assert.False(store.Capabilities.SupportsListenNotify);
        Assert.True(store.Capabilities.SupportsMultipleProcesses);
    }

    [Fact]
    public async Task Engine_IdleWithAnHourlyPoll_IsWokenByAnEnqueueFromAnotherProcess()
    {
        var ran = new ConcurrentDictionary<long, TaskCompletionSource>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(ran);
        builder.Services.AddPacer(p => p
            .UsePostgres(_server.ConnectionString, o => o.Schema = _schema)
            .AddJob<SignalHandler, SignalArgs>("signal")
            .Configure(o =>
            {
                o.PollInterval = TimeSpan.FromHours(1);
                o.MaintenanceInterval = TimeSpan.FromHours(1);
            }));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var other = await OpenAsync();
            // The first job may be found by the start-up fetch; after it the producer is idle until the next poll, in an hour.
            await RunThroughOtherProcessAsync(other, ran, 1);
            var timer = Stopwatch.StartNew();
            await RunThroughOtherProcessAsync(other, ran, 2);
            Assert.True(timer.Elapsed < TimeSpan.FromSeconds(20), $"took {timer.Elapsed}");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task RunThroughOtherProcessAsync(IJobStore other, ConcurrentDictionary<long, TaskCompletionSource> ran, int sequence)
    {
        var done = ran.GetOrAdd(sequence, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var now = TimeProvider.System.GetUtcNow();
        await other.InsertManyAsync(new InsertManyRequest([new JobInsert { Kind = "signal", Args = $$"""{"sequence":{{sequence}}}""", ScheduledAt = now }], now), CancellationToken.None);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Migrate_ConcurrentlyFromManyStoresOnAFreshSchema_AppliesEachVersionOnce()
    {
        var schema = PostgresServer.NewSchema();
        try
        {
            var stores = Enumerable.Range(0, 6)
                .Select(_ => PostgresJobStoreFactory.Create(new PostgresStoreOptions { ConnectionString = _server.ConnectionString, Schema = schema }))
                .ToList();
            _stores.AddRange(stores);

            var results = await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(CancellationToken.None))));

            Assert.Single(results, r => r.Applied.Count > 0);
            Assert.All(results, r => Assert.Equal(results[0].ToVersion, r.ToVersion));
            await using var data = _server.OpenDataSource();
            await using var count = data.CreateCommand($"SELECT count(*) FROM \"{schema}\".pacer_migrations");
            Assert.Equal((long)results[0].ToVersion, (long)(await count.ExecuteScalarAsync())!);
        }
        finally
        {
            await _server.DropSchemaAsync(schema);
        }
    }
}

internal sealed record SignalArgs(int Sequence);

internal sealed class SignalHandler(ConcurrentDictionary<long, TaskCompletionSource> ran) : IJobHandler<SignalArgs>
{
    public Task HandleAsync(SignalArgs args, JobContext context)
    {
        ran.GetOrAdd(args.Sequence, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return Task.CompletedTask;
    }
}
