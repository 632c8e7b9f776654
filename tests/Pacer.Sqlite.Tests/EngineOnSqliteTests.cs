using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pacer.Storage;

namespace Pacer.Sqlite.Tests;

/// <summary>The real engine on the SQLite store, on the system clock: the store as the engine drives it.</summary>
public sealed class EngineOnSqliteTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDatabase _database = new();
    private readonly Signals _signals = new();
    private ServiceProvider? _services;

    private IPacerClient Client => _services!.GetRequiredService<IPacerClient>();
    private IPacerEngine Engine => _services!.GetRequiredService<IPacerEngine>();
    private IJobStore Store => _services!.GetRequiredService<IJobStore>();

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(_signals);
        services.AddPacer(p => p
            .UseSqlite(_database.Path)
            .AddJob<CountHandler, CountArgs>("count")
            .AddJob<BlockHandler, BlockArgs>("block")
            .Configure(o =>
            {
                o.Concurrency = 16;
                o.PollInterval = TimeSpan.FromMilliseconds(50);
            }));
        _services = services.BuildServiceProvider();
        foreach (var hosted in _services.GetServices<IHostedService>())
            await hosted.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            using (var stop = new CancellationTokenSource(Patience))
            {
                foreach (var hosted in _services.GetServices<IHostedService>().Reverse())
                    await hosted.StopAsync(stop.Token);
            }
            await _services.DisposeAsync();
        }
        _database.Dispose();
    }

    [Fact]
    public async Task Engine_ManyJobs_AllCompleteOnce()
    {
        await StartAsync();
        const int jobs = 500;

        await Client.EnqueueManyAsync([.. Enumerable.Range(0, jobs).Select(i => new EnqueueRequest("count", $$"""{"n":{{i}}}"""))]);
        using var patience = new CancellationTokenSource(Patience);
        await Engine.WaitUntilDrainedAsync(patience.Token);

        var stats = await Store.GetStatsAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal(jobs, stats.Queues.Single().Counts[JobState.Completed]);
        Assert.Equal(jobs, _signals.Counted);
    }

    // Regression: a handler that honours its token ends as a canceled task, whose Exception is null; the engine read
    // it as a fault, threw NullReferenceException and recorded the cancel as a failed attempt to retry.
    [Fact]
    public async Task Engine_CancelledHandlerHonouringItsToken_EndsCancelledNotFailed()
    {
        await StartAsync();
        var job = await Client.EnqueueAsync(new BlockArgs());
        await _signals.Started.Task.WaitAsync(Patience);

        Assert.Equal(CancelResult.CancelRequested, await Client.CancelAsync(job.Id));
        using var patience = new CancellationTokenSource(Patience);
        await Engine.WaitUntilDrainedAsync(patience.Token);

        var row = await Client.GetAsync(job.Id);
        Assert.NotNull(row);
        Assert.Equal(JobState.Cancelled, row.State);
        Assert.DoesNotContain(row.Errors, e => e.Type.Contains("NullReference", StringComparison.Ordinal));
    }

    // Regression: the drain check counted a paused queue's due jobs as work left, so WaitUntilDrainedAsync (and
    // 'pacer run --drain') never returned while a queue with due jobs was paused.
    [Fact]
    public async Task Drain_PausedQueueWithDueJobs_ReturnsAndLeavesThem_ThenRunsThemAfterResume()
    {
        await StartAsync();
        var resources = _services!.GetRequiredService<IPacerResources>();
        await resources.PauseQueueAsync("default");
        var job = await Client.EnqueueAsync(new CountArgs(1));

        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await Engine.WaitUntilDrainedAsync(patience.Token);

        Assert.Equal(JobState.Available, (await Client.GetAsync(job.Id))!.State);
        Assert.Equal(0, _signals.Counted);

        await resources.ResumeQueueAsync("default");
        using (var patience = new CancellationTokenSource(Patience))
            await Engine.WaitUntilDrainedAsync(patience.Token);

        Assert.Equal(JobState.Completed, (await Client.GetAsync(job.Id))!.State);
        Assert.Equal(1, _signals.Counted);
    }

    public sealed record CountArgs(int N = 0);

    public sealed record BlockArgs(int N = 0);

    public sealed class Signals
    {
        private int _counted;
        public int Counted => Volatile.Read(ref _counted);
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Count() => Interlocked.Increment(ref _counted);
    }

    public sealed class CountHandler(Signals signals) : IJobHandler<CountArgs>
    {
        public Task HandleAsync(CountArgs args, JobContext context)
        {
            signals.Count();
            return Task.CompletedTask;
        }
    }

    public sealed class BlockHandler(Signals signals) : IJobHandler<BlockArgs>
    {
        public async Task HandleAsync(BlockArgs args, JobContext context)
        {
            signals.Started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
    }
}
