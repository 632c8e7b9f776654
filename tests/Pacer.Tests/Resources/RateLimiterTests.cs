using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Pacer.Tests.Resources;

/// <summary>A resource as a System.Threading.RateLimiting limiter: the same permits jobs use, for code outside jobs.</summary>
public sealed class RateLimiterTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pacer-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddPacer(p => p.UseSqlite(Path.Combine(_directory, "pacer.db"))
            .AddResource("api", r => r.Rate = "10/s")
            .AddResource("session", r => r.Concurrency = 1)
            .AddResource("wide", r => r.Concurrency = 1000)
            .AddResource("budget", r => r.Quota = "3/day"));
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private IPacerResources Resources => _services.GetRequiredService<IPacerResources>();

    [Fact]
    public void AttemptAcquire_Rate_GrantsOnePerInterval_AndSaysWhenToComeBack()
    {
        var limiter = Resources.GetRateLimiter("api");

        using var first = limiter.AttemptAcquire();
        using var second = limiter.AttemptAcquire();

        Assert.True(first.IsAcquired);
        Assert.False(second.IsAcquired);
        Assert.True(second.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(100), retryAfter);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        using var third = limiter.AttemptAcquire();
        Assert.True(third.IsAcquired);
        Assert.Equal(2, limiter.GetStatistics()!.TotalSuccessfulLeases);
    }

    [Fact]
    public async Task AcquireAsync_WaitsForTheNextPermit()
    {
        var limiter = Resources.GetRateLimiter("api");
        using var first = await limiter.AcquireAsync();

        var second = limiter.AcquireAsync().AsTask();
        Assert.False(second.IsCompleted);
        for (var i = 0; i < 50 && !second.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.WhenAny(second, Task.Delay(10));
        }

        using var lease = await second;
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public async Task Concurrency_ALeaseHoldsThePermitUntilDisposed()
    {
        var limiter = Resources.GetRateLimiter("session");

        var held = limiter.AttemptAcquire();
        Assert.True(held.IsAcquired);
        Assert.False(limiter.AttemptAcquire().IsAcquired);
        held.Dispose();

        // The permit goes back to the store in the background.
        RateLimitLease? again = null;
        for (var i = 0; i < 100 && again?.IsAcquired != true; i++)
        {
            again?.Dispose();
            await Task.Delay(10);
            again = limiter.AttemptAcquire();
        }
        Assert.True(again!.IsAcquired);
        again.Dispose();
    }

    [Fact]
    public async Task Quota_IsSharedWithJobs_AndFailsFastWhenUsedUp()
    {
        using (var spent = await Resources.AcquireAsync("budget", cost: 3))
            Assert.True(spent.IsAcquired);

        var error = await Assert.ThrowsAsync<ResourceUnavailableException>(async () => await Resources.AcquireAsync("budget"));
        Assert.Contains("quota (3/day)", error.Message, StringComparison.Ordinal);
        var status = Assert.Single(await Resources.ListAsync(), r => r.Name == "budget");
        Assert.Equal((3L, 0L), (status.QuotaUsed, status.QuotaRemaining));
    }

    [Fact]
    public async Task AcquireAsync_APauseEndingWhileTheStoreAnswers_IsWaitedOutNotAnError()
    {
        // The verdict "paused until T" is reckoned inside the store's transaction; by the time it is back, the clock may
        // have passed T. The wait left is then below zero, which Task.Delay refuses (or, at exactly -1 ms, waits for ever).
        // The clock moves 5 ms each time it is read; some of these pauses end between the two looks.
        _time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(5);
        for (var ms = 1; ms <= 40; ms++)
        {
            await Resources.PauseAsync("wide", TimeSpan.FromMilliseconds(ms));
            var acquiring = Resources.AcquireAsync("wide").AsTask();
            for (var i = 0; i < 200 && !acquiring.IsCompleted; i++)
            {
                _time.Advance(TimeSpan.FromMilliseconds(1));
                await Task.WhenAny(acquiring, Task.Delay(5));
            }

            Assert.True(acquiring.IsCompleted, $"a pause of {ms} ms was never waited out");
            using var lease = await acquiring;
            Assert.True(lease.IsAcquired);
        }
    }

    [Fact]
    public void PartitionedLimiter_KeysAreResourceNames()
    {
        using var api = Resources.Limiters.AttemptAcquire("api");
        using var again = Resources.Limiters.AttemptAcquire("api");
        using var other = Resources.Limiters.AttemptAcquire("session");

        Assert.True(api.IsAcquired);
        Assert.False(again.IsAcquired);
        Assert.True(other.IsAcquired);
    }
}
