using Hangfire;
using Hangfire.InMemory;
using Hangfire.Storage.SQLite;

namespace Pacer.Bench.Systems;

/// <summary>Hangfire 1.8 on one of two storages, configured as its documentation recommends for a new application.</summary>
internal sealed class HangfireFactory : IJobSystemFactory
{
    /// <summary>
    /// Hangfire.Storage.SQLite polls its queue table; its default of 15 s would make latency a straw man. 100 ms is
    /// lower than most deployments choose, and costs each idle worker ten queries a second.
    /// </summary>
    internal static readonly TimeSpan SqliteQueuePollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the server moves due scheduled jobs to their queue: Pacer's maintenance interval, so both sides do that work at the same pace.</summary>
    internal static readonly TimeSpan SchedulePollingInterval = TimeSpan.FromSeconds(1);

    private static readonly Lazy<bool> Configured = new(() =>
    {
        // Global in Hangfire; the same for both storages. The recommended settings for 1.8 (smaller payloads, no type
        // names from data), and no log provider, so nothing is written to the console while measuring.
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new SilentLogProvider());
        return true;
    });

    private readonly bool _sqlite;

    private HangfireFactory(bool sqlite) => _sqlite = sqlite;

    public static HangfireFactory InMemory { get; } = new(sqlite: false);

    public static HangfireFactory Sqlite { get; } = new(sqlite: true);

    public string Name => _sqlite ? "Hangfire SQLite" : "Hangfire InMemory";

    public string Settings => _sqlite
        ? $"Hangfire.Core 1.8.25 + Hangfire.Storage.SQLite 0.4.3 (WAL and connection pool of 20, its defaults; SQLite's default synchronous = FULL, which it does not expose, so every commit is synced). QueuePollInterval {SqliteQueuePollInterval.TotalMilliseconds:0} ms " +
          $"(default 15 s), other storage options default. Server: WorkerCount = workers, SchedulePollingInterval {SchedulePollingInterval.TotalSeconds:0} s, rest default."
        : $"Hangfire.Core 1.8.25 + Hangfire.InMemory 1.0.0, default options (its fetch blocks on a signal: no polling). " +
          $"Server: WorkerCount = workers, SchedulePollingInterval {SchedulePollingInterval.TotalSeconds:0} s, rest default.";

    /// <summary>Applies the global configuration above once; for other benchmarks that drive Hangfire themselves.</summary>
    internal static void EnsureConfigured() => _ = Configured.Value;

    public Task<IJobSystem> CreateAsync(string directory, int workers)
    {
        _ = Configured.Value;
        JobStorage storage = _sqlite
            ? new SQLiteStorage(Path.Combine(directory, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = SqliteQueuePollInterval })
            : new InMemoryStorage(new InMemoryStorageOptions());
        return Task.FromResult<IJobSystem>(new HangfireSystem(storage, workers));
    }

    /// <summary>Hangfire as the benchmarks drive it, on whichever storage it is given (PostgreSQL too).</summary>
    internal sealed class HangfireSystem(JobStorage storage, int workers) : IJobSystem
    {
        private readonly BackgroundJobClient _client = new(storage);
        private BackgroundJobServer? _server;
        private string[] _scheduled = [];

        public Task EnqueueAsync(JobBody body, long enqueuedAt)
        {
            Enqueue(body, enqueuedAt);
            return Task.CompletedTask;
        }

        // Hangfire's open-source client has no batch enqueue (batches are a Hangfire Pro feature).
        public Task<bool> TryEnqueueManyAsync(JobBody body, int count, long enqueuedAt) => Task.FromResult(false);

        public Task FillAsync(JobBody body, int count)
        {
            // Several callers at once: only to fill the queue sooner; this part is not timed.
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, _ => Enqueue(body, 0));
            return Task.CompletedTask;
        }

        public Task StartWorkersAsync()
        {
            _server = new BackgroundJobServer(
                new BackgroundJobServerOptions { WorkerCount = workers, SchedulePollingInterval = SchedulePollingInterval },
                storage);
            return Task.CompletedTask;
        }

        public async Task<long> CountSucceededAsync(CancellationToken cancellationToken)
        {
            // The succeeded counter is written in the same transaction as the state; wait until it stops moving.
            var monitoring = storage.GetMonitoringApi();
            long last = -1;
            while (true)
            {
                var now = monitoring.GetStatistics().Succeeded;
                if (now == last && monitoring.GetStatistics().Processing == 0)
                    return now;
                last = now;
                await Task.Delay(50, cancellationToken);
            }
        }

        public Task FillScheduledAsync(int count)
        {
            var ids = new string[count];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => ids[i] = _client.Schedule(() => HangfireJobs.Noop(0), TimeSpan.FromHours(1)));
            _scheduled = ids;
            return Task.CompletedTask;
        }

        // Hangfire has no bulk state change: its dashboard deletes or requeues the jobs one call each. Its lists of
        // deleted jobs are trimmed (and paged), so the jobs are taken by the ids scheduling returned, which spares
        // Hangfire the listing Pacer's side does.
        public Task<int> CancelAllAsync() => Task.FromResult(_scheduled.Count(id => _client.Delete(id)));

        public Task<int> RetryCancelledAsync() => Task.FromResult(_scheduled.Count(id => _client.Requeue(id)));

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                _server.SendStop();
                await _server.WaitForShutdownAsync(CancellationToken.None);
                _server.Dispose();
            }
            (storage as IDisposable)?.Dispose();
        }

        private void Enqueue(JobBody body, long enqueuedAt)
        {
            if (body == JobBody.Noop)
                _client.Enqueue(() => HangfireJobs.Noop(enqueuedAt));
            else
                _client.Enqueue(() => HangfireJobs.Delay1MsAsync(enqueuedAt));
        }
    }
}

/// <summary>Hangfire's log goes nowhere while measuring, as Pacer's does (no logging provider is added on its side).</summary>
internal sealed class SilentLogProvider : Hangfire.Logging.ILogProvider, Hangfire.Logging.ILog
{
    public Hangfire.Logging.ILog GetLogger(string name) => this;

    public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
}

/// <summary>Hangfire finds job methods by type and name, so they live on a public type; they call the shared bodies.</summary>
public static class HangfireJobs
{
    public static void Noop(long enqueuedAt) => JobBodies.Noop(enqueuedAt);

    public static Task Delay1MsAsync(long enqueuedAt) => JobBodies.Delay1MsAsync(enqueuedAt);
}
