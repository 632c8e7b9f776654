using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Bench.Systems;
using Pacer.Storage;

namespace Pacer.Bench.Postgres;

/// <summary>Pacer on its PostgreSQL store, a fresh schema per measurement, dropped afterwards.</summary>
internal sealed class PacerPostgresFactory(PostgresCluster cluster) : IJobSystemFactory
{
    public string Name => "Pacer PostgreSQL";

    public string Settings =>
        "Pacer.Postgres (Npgsql 10.0.3, pool of at most 20 per process): PostgresStoreOptions defaults (ListenNotify on: an " +
        "enqueue anywhere wakes idle workers at once). PacerOptions defaults except Concurrency = workers per process: " +
        "PollInterval 1 s, CompletionBatchSize 1,000, LeaseDuration 30 s, MaintenanceInterval 1 s. Typed EnqueueAsync " +
        "(arguments serialized, then validated); batches through EnqueueManyAsync. No logging provider.";

    public async Task<IJobSystem> CreateAsync(string directory, int workers)
    {
        var schema = NewSchema("pacer");
        var provider = Build(cluster.For(schema), schema, workers);
        // Enqueue scenarios write before the engine starts (which is when it would migrate).
        await provider.GetRequiredService<IJobStore>().MigrateAsync(CancellationToken.None);
        return new DroppingSchema(new PacerSqliteFactory.PacerSqliteSystem(provider), cluster, schema);
    }

    /// <summary>The services of one Pacer process on <paramref name="schema"/>; worker processes build the same.</summary>
    internal static ServiceProvider Build(string connectionString, string schema, int workers, Action<PacerOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddPacer(pacer => pacer
            .UsePostgres(connectionString, postgres => postgres.Schema = schema)
            .AddJob<PacerSqliteFactory.NoopHandler, PacerSqliteFactory.NoopArgs>("bench.noop")
            .AddJob<PacerSqliteFactory.DelayHandler, PacerSqliteFactory.DelayArgs>("bench.delay")
            .Configure(options =>
            {
                options.Concurrency = Math.Max(workers, 1);
                configure?.Invoke(options);
            }));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    internal static string NewSchema(string prefix) => $"b_{prefix}_{Guid.NewGuid().ToString("N")[..12]}";
}

/// <summary>Hangfire 1.8 on Hangfire.PostgreSql, a fresh schema per measurement, dropped afterwards.</summary>
internal sealed class HangfirePostgresFactory(PostgresCluster cluster) : IJobSystemFactory
{
    public string Name => "Hangfire PostgreSql";

    public string Settings =>
        "Hangfire.Core 1.8.25 + Hangfire.PostgreSql 1.21.1 (on the same Npgsql 10.0.3, pool of at most 20 per process), " +
        "connections through NpgsqlConnectionFactory (what UseNpgsqlConnection configures), PrepareSchemaIfNecessary on, " +
        $"EnableLongPolling on (its LISTEN/NOTIFY wake-up), QueuePollInterval {QueuePollInterval.TotalMilliseconds:0} ms " +
        "(default 15 s), other storage options default. Server: WorkerCount = workers per process, SchedulePollingInterval " +
        $"{HangfireFactory.SchedulePollingInterval.TotalSeconds:0} s, rest default (including automatic retry and statistics); " +
        "the same global configuration as the other Hangfire systems.";

    /// <summary>
    /// How often an idle worker looks at the queue when no notice woke it. 15 s by default, which would make latency a
    /// straw man; 100 ms, as for Hangfire.Storage.SQLite in the engine benchmark.
    /// </summary>
    internal static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(100);

    public Task<IJobSystem> CreateAsync(string directory, int workers)
    {
        var schema = PacerPostgresFactory.NewSchema("hangfire");
        IJobSystem system = new HangfireFactory.HangfireSystem(Storage(cluster.For(schema), schema), workers);
        return Task.FromResult<IJobSystem>(new DroppingSchema(system, cluster, schema));
    }

    /// <summary>The storage of one Hangfire process on <paramref name="schema"/>; worker processes build the same.</summary>
    internal static JobStorage Storage(string connectionString, string schema)
    {
        HangfireFactory.EnsureConfigured();
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = schema,
            PrepareSchemaIfNecessary = true,
            EnableLongPolling = true,
            QueuePollInterval = QueuePollInterval,
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }
}

/// <summary>A system whose schema is dropped when it is disposed, so no run inherits another's rows.</summary>
internal sealed class DroppingSchema(IJobSystem inner, PostgresCluster cluster, string schema) : IJobSystem
{
    public string Schema => schema;

    public Task EnqueueAsync(JobBody body, long enqueuedAt) => inner.EnqueueAsync(body, enqueuedAt);

    public Task<bool> TryEnqueueManyAsync(JobBody body, int count, long enqueuedAt) => inner.TryEnqueueManyAsync(body, count, enqueuedAt);

    public Task FillAsync(JobBody body, int count) => inner.FillAsync(body, count);

    public Task StartWorkersAsync() => inner.StartWorkersAsync();

    public Task<long> CountSucceededAsync(CancellationToken cancellationToken) => inner.CountSucceededAsync(cancellationToken);

    public Task FillScheduledAsync(int count) => inner.FillScheduledAsync(count);

    public Task<int> CancelAllAsync() => inner.CancelAllAsync();

    public Task<int> RetryCancelledAsync() => inner.RetryCancelledAsync();

    public async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await cluster.DropSchemaAsync(schema);
    }
}
