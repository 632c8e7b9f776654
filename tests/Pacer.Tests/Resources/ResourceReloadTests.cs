using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacer.Resources;
using Pacer.Tests.Engine;
using Pacer.Testing;

namespace Pacer.Tests.Resources;

/// <summary>
/// Resources follow the configuration when it reloads: a valid change applies at once (to parked jobs too), an invalid
/// one is logged with the key and the fix and changes nothing, a resource left out keeps its limits.
/// </summary>
public sealed class ResourceReloadTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pacer-reload-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    private void Write(string json) => File.WriteAllText(_file, json);

    private static void Reload(IServiceProvider services) => ((IConfigurationRoot)services.GetRequiredService<IConfiguration>()).Reload();

    [Fact]
    public async Task ARaisedRate_AppliesOnReload_AndStartsTheJobTheOldRateParked()
    {
        Write("""{"Pacer":{"Resources":{"api":{"Rate":"1/h"}}}}""");
        var probe = new Probe();
        await using var h = await EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work", k => k.Claims.Add(new ResourceClaim("api")));
            },
            o =>
            {
                o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
                o.PollInterval = TimeSpan.FromMilliseconds(200);
            },
            configuration: c => c.AddJsonFile(_file, optional: false, reloadOnChange: false));
        var ids = (await h.Client.EnqueueManyAsync([new EnqueueRequest("work", "{}"), new EnqueueRequest("work", "{}")])).Select(r => r.Id).ToArray();
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromMilliseconds(50));
        await h.AdvanceUntilAsync(h.UntilStateAsync(ids[1], JobState.Waiting), TimeSpan.FromMilliseconds(50));
        Assert.Contains("(1/h)", (await h.GetAsync(ids[1])).WaitReason, StringComparison.Ordinal);

        Write("""{"Pacer":{"Resources":{"api":{"Rate":"100/s"}}}}""");
        Reload(h.Host.Services);

        // Under the old rate it would wait until the hour is up; the debt of one permit is now 10 ms.
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 2), TimeSpan.FromMilliseconds(10), maxSteps: 500);
        Assert.True(h.Time.GetUtcNow() - EngineHarness.Start < TimeSpan.FromMinutes(1), $"the second job ran at {h.Time.GetUtcNow():O}");
    }

    [Fact]
    public async Task ARaisedCapOnATemplate_StartsTheJobsWaitingOnItsPartitions()
    {
        Write("""{"Pacer":{"Resources":{"account-{Name}":{"Concurrency":1}}}}""");
        var probe = new Probe();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        probe.Run = (_, _) =>
        {
            Interlocked.Increment(ref started);
            return hold.Task;
        };
        await using var h = await EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work", k => k.Claims.Add(new ResourceClaim("account-{Name}")));
            },
            o => o.PollInterval = TimeSpan.FromMilliseconds(200),
            configuration: c => c.AddJsonFile(_file, optional: false, reloadOnChange: false));
        // The first holds the cap; the second stays in line at the head; the third is parked until a permit comes back.
        var ids = (await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 3).Select(_ => new EnqueueRequest("work", """{"name":"a"}"""))]))
            .Select(r => r.Id).ToArray();
        await h.AdvanceUntilAsync(h.UntilStateAsync(ids[2], JobState.Waiting), TimeSpan.FromMilliseconds(50));
        // The first job holds the cap once it is fetched; its handler may be called a moment later (seen under load).
        await h.AdvanceUntilAsync(EngineHarness.UntilAsync(() => Task.FromResult(Volatile.Read(ref started) > 0)), TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, Volatile.Read(ref started));

        Write("""{"Pacer":{"Resources":{"account-{Name}":{"Concurrency":3}}}}""");
        Reload(h.Host.Services);

        // Without the wake the parked one would be looked at again only after the lease duration (30 s).
        await h.AdvanceUntilAsync(EngineHarness.UntilAsync(() => Task.FromResult(Volatile.Read(ref started) == 3)), TimeSpan.FromMilliseconds(10), maxSteps: 300);
        hold.SetResult();
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 3), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void AnInvalidChange_IsLoggedWithTheKeyAndTheFix_AndChangesNothing_TheNextGoodOneApplies()
    {
        Write("""{"Pacer":{"Resources":{"api":{"Rate":"1/h"},"other":{"Concurrency":2}}}}""");
        using var s = Services(out var logs);
        var source = s.GetRequiredService<ResourceCatalogSource>();
        var other = source.Current.Find("other");

        Write("""{"Pacer":{"Resources":{"api":{"Rate":"50/x"},"other":{"Concurrency":2}}}}""");
        Reload(s);
        Assert.Equal("1/h", source.Current.Find("api")!.Rates[0].ToString());
        var error = Assert.Single(logs.Lines, l => l.StartsWith("Error Pacer.Configuration", StringComparison.Ordinal));
        Assert.Contains("Pacer:Resources:api:Rate '50/x'", error, StringComparison.Ordinal);
        Assert.Contains("write N/unit such as 50/s", error, StringComparison.Ordinal);
        Assert.DoesNotContain("DataAnnotation", error, StringComparison.Ordinal);

        Write("""{"Pacer":{"Resources":{"api":{"Rate":"5/s"},"other":{"Concurrency":2}}}}""");
        Reload(s);
        Assert.Equal("5/s", source.Current.Find("api")!.Rates[0].ToString());
        Assert.Contains(logs.Lines, l => l.Contains("Resource api reloaded from configuration: Rate 1/h -> Rate 5/s", StringComparison.Ordinal));
        // What a process keeps per definition (its spacing of calls) survives for resources the change left alone.
        Assert.Same(other, source.Current.Find("other"));
    }

    [Fact]
    public void AValueTheBinderCannotRead_IsLoggedAndChangesNothing()
    {
        Write("""{"Pacer":{"Resources":{"api":{"Burst":2,"Rate":"10/s"}}}}""");
        using var s = Services(out var logs);
        var source = s.GetRequiredService<ResourceCatalogSource>();

        Write("""{"Pacer":{"Resources":{"api":{"Burst":"two","Rate":"10/s"}}}}""");
        Reload(s);

        Assert.Equal(2, source.Current.Find("api")!.Rates[0].Burst);
        Assert.Contains(logs.Lines, l => l.StartsWith("Error Pacer.Configuration", StringComparison.Ordinal) && l.Contains("Burst", StringComparison.Ordinal));
    }

    [Fact]
    public void AResourceLeftOut_KeepsItsLimitsUntilRestart_AndSaysSo()
    {
        // A file replaced by a deploy is briefly missing, and a provider reloading then sees no keys: no limit may lapse.
        Write("""{"Pacer":{"Resources":{"api":{"Rate":"1/h"}}}}""");
        using var s = Services(out var logs);
        var source = s.GetRequiredService<ResourceCatalogSource>();

        Write("""{"Pacer":{}}""");
        Reload(s);

        Assert.Equal("1/h", source.Current.Find("api")!.Rates[0].ToString());
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning Pacer.Configuration", StringComparison.Ordinal)
            && l.Contains("keep their limits until this process restarts: api", StringComparison.Ordinal));
    }

    [Fact]
    public void OtherSettings_AreSaidToApplyAtRestart_Once()
    {
        Write("""{"Pacer":{"Concurrency":10}}""");
        using var s = Services(out var logs);

        Write("""{"Pacer":{"Concurrency":20}}""");
        Reload(s);
        Reload(s);

        var warning = Assert.Single(logs.Lines, l => l.StartsWith("Warning Pacer.Configuration", StringComparison.Ordinal));
        Assert.Contains("Configuration changed for Pacer:Concurrency; these settings apply when this process restarts", warning, StringComparison.Ordinal);
        Assert.Equal(10, s.GetRequiredService<IOptions<PacerOptions>>().Value.Concurrency);
    }

    [Fact]
    public void ResourcesDeclaredInCode_AreKeptThroughAReload()
    {
        Write("""{"Pacer":{"Resources":{"api":{"Rate":"1/h"}}}}""");
        using var s = Services(out _, p => p.AddResource("coded", r => r.Concurrency = 1));
        var source = s.GetRequiredService<ResourceCatalogSource>();

        Write("""{"Pacer":{"Resources":{"api":{"Rate":"2/h"}}}}""");
        Reload(s);

        Assert.Equal("2/h", source.Current.Find("api")!.Rates[0].ToString());
        Assert.Equal(1, source.Current.Find("coded")!.Concurrency);
    }

    [Fact]
    public void ArrivalTimesKeptUnderOtherLimits_CarryOverAsThePermitsOwed()
    {
        var now = EngineHarness.Start;
        var perMinute = Definition("1/min");
        var perSecond = Definition("100/s");
        var state = new ResourceState();
        perMinute.Grant(state, 3, now);

        // 3 permits owed under 1/min is 3 minutes; under 100/s it is 30 ms.
        Assert.True(perSecond.Normalize(state, now));
        Assert.Equal(new Verdict(BlockReason.Rate, (now + TimeSpan.FromMilliseconds(30)).UtcTicks), perSecond.Check(state, state.Tat, 1, now, 0));

        // And back: lowering the limit again does not forget the debt.
        Assert.True(perMinute.Normalize(state, now));
        Assert.Equal(new Verdict(BlockReason.Rate, (now + TimeSpan.FromMinutes(3)).UtcTicks), perMinute.Check(state, state.Tat, 1, now, 0));
        Assert.False(perMinute.Normalize(state, now));
    }

    [Fact]
    public async Task CallSpacing_StartsAfreshWhenTheLimitsChange()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EngineHarness.Start);
        var pacer = new Pacer.Http.SendPacer(time);
        await pacer.WaitTurnAsync("api", Definition("10/s, 100/min"), 1, CancellationToken.None);

        // Fewer limits than the kept arrival times: read past the end before, a fresh start now.
        var wait = pacer.WaitTurnAsync("api", Definition("1000/s"), 1, CancellationToken.None);

        Assert.True(wait.IsCompleted);
        await wait;
    }

    private static ResourceDefinition Definition(string rate) =>
        ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["api"] = new() { Rate = rate } }).Find("api")!;

    private ServiceProvider Services(out LogCapture logs, Action<PacerBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(_file, optional: false, reloadOnChange: false).Build();
        var captured = new LogCapture();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(l => l.AddProvider(captured));
        services.AddPacer(p =>
        {
            p.UseStore(_ => throw new InvalidOperationException("These tests need no store."));
            configure?.Invoke(p);
        });
        logs = captured;
        var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<ResourceCatalogSource>();
        return provider;
    }
}
