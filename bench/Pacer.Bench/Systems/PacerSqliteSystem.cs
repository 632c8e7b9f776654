using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pacer.Storage;

namespace Pacer.Bench.Systems;

/// <summary>Pacer on its SQLite store, wired as an application would: <c>AddPacer(...).UseSqlite(path)</c>, default options.</summary>
/// <param name="synchronous">
/// Normal is Pacer's default. Full syncs every commit, as Hangfire.Storage.SQLite does (SQLite's default, which that
/// storage does not let one change), so the two can also be compared at the same durability.
/// </param>
internal sealed class PacerSqliteFactory(SqliteSynchronous synchronous = SqliteSynchronous.Normal) : IJobSystemFactory
{
    public string Name => synchronous == SqliteSynchronous.Normal ? "Pacer SQLite" : "Pacer SQLite Full";

    public string Settings => synchronous == SqliteSynchronous.Normal
        ? "Pacer on SQLite: WAL, Synchronous = Normal (the default: a commit survives a process crash, not necessarily a " +
          "power loss). PacerOptions defaults except Concurrency = workers: PollInterval 1 s (an enqueue in the same process " +
          "wakes the producer at once), CompletionBatchSize 1,000, LeaseDuration 30 s, MaintenanceInterval 1 s. Typed enqueue: " +
          "args serialized, then validated (strict JSON, DataAnnotations)."
        : "The same with Synchronous = Full: every commit is synced to disk, as Hangfire.Storage.SQLite does.";

    public async Task<IJobSystem> CreateAsync(string directory, int workers)
    {
        var services = new ServiceCollection();
        services.AddPacer(pacer => pacer
            .UseSqlite(Path.Combine(directory, "pacer.db"), sqlite => sqlite.Synchronous = synchronous)
            .AddJob<NoopHandler, NoopArgs>("bench.noop")
            .AddJob<DelayHandler, DelayArgs>("bench.delay")
            .Configure(options => options.Concurrency = Math.Max(workers, 1)));
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        // Enqueue scenarios write before the engine starts (which is when it would migrate).
        await provider.GetRequiredService<IJobStore>().MigrateAsync(CancellationToken.None);
        return new PacerSqliteSystem(provider);
    }

    public sealed record NoopArgs(long EnqueuedAt);

    public sealed record DelayArgs(long EnqueuedAt);

    public sealed class NoopHandler : IJobHandler<NoopArgs>
    {
        public Task HandleAsync(NoopArgs args, JobContext context)
        {
            JobBodies.Noop(args.EnqueuedAt);
            return Task.CompletedTask;
        }
    }

    public sealed class DelayHandler : IJobHandler<DelayArgs>
    {
        public Task HandleAsync(DelayArgs args, JobContext context) => JobBodies.Delay1MsAsync(args.EnqueuedAt);
    }

    /// <summary>Pacer as the benchmarks drive it, on whichever store <paramref name="provider"/> was built with (PostgreSQL too).</summary>
    internal sealed class PacerSqliteSystem(ServiceProvider provider) : IJobSystem
    {
        private const int FillBatch = 1000;
        private readonly IPacerClient _client = provider.GetRequiredService<IPacerClient>();
        private bool _started;

        public Task EnqueueAsync(JobBody body, long enqueuedAt) => body switch
        {
            JobBody.Noop => _client.EnqueueAsync(new NoopArgs(enqueuedAt)),
            _ => _client.EnqueueAsync(new DelayArgs(enqueuedAt)),
        };

        public async Task<bool> TryEnqueueManyAsync(JobBody body, int count, long enqueuedAt)
        {
            await _client.EnqueueManyAsync(Requests(body, count, enqueuedAt));
            return true;
        }

        public async Task FillAsync(JobBody body, int count)
        {
            for (var done = 0; done < count; done += FillBatch)
                await _client.EnqueueManyAsync(Requests(body, Math.Min(FillBatch, count - done), 0));
        }

        public async Task StartWorkersAsync()
        {
            _started = true;
            foreach (var hosted in provider.GetServices<IHostedService>())
                await hosted.StartAsync(CancellationToken.None);
        }

        public async Task<long> CountSucceededAsync(CancellationToken cancellationToken)
        {
            if (_started)
                await provider.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(cancellationToken);
            var stats = await provider.GetRequiredService<IJobStore>().GetStatsAsync(DateTimeOffset.MinValue, cancellationToken);
            return stats.Queues.Sum(q => q.Counts[JobState.Completed]);
        }

        public async Task FillScheduledAsync(int count)
        {
            var later = new EnqueueOptions { RunIn = TimeSpan.FromHours(1) };
            for (var done = 0; done < count; done += FillBatch)
                await _client.EnqueueManyAsync([.. Requests(JobBody.Noop, Math.Min(FillBatch, count - done), 0).Select(r => r with { Options = later })]);
        }

        public async Task<int> CancelAllAsync()
        {
            var result = await _client.CancelManyAsync(new JobFilter { States = JobStates.Unfinished });
            return result.Cancelled + result.CancelRequested;
        }

        public async Task<int> RetryCancelledAsync() =>
            (await _client.RetryManyAsync(new JobFilter { States = [JobState.Cancelled] })).Retried;

        public async ValueTask DisposeAsync()
        {
            if (_started)
            {
                foreach (var hosted in provider.GetServices<IHostedService>().Reverse())
                    await hosted.StopAsync(CancellationToken.None);
            }
            await provider.DisposeAsync();
        }

        private static EnqueueRequest[] Requests(JobBody body, int count, long enqueuedAt)
        {
            // The by-name batch API takes JSON; it is validated against the kind's args type like the typed call.
            var (kind, json) = body == JobBody.Noop
                ? ("bench.noop", $$"""{"enqueuedAt":{{enqueuedAt}}}""")
                : ("bench.delay", $$"""{"enqueuedAt":{{enqueuedAt}}}""");
            var requests = new EnqueueRequest[count];
            Array.Fill(requests, new EnqueueRequest(kind, json));
            return requests;
        }
    }
}
