using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Tests.Engine;

namespace Pacer.Tests.Telemetry;

/// <summary>The maintenance leader reports each resource's quota, claims in use and waiting jobs as gauges.</summary>
public sealed class ResourceGaugeTests
{
    [Fact]
    public async Task QuotaUsedAndLeft_ClaimsInUse_AndWaitingJobs_PerResource_AndPerTemplateNotPerPartition()
    {
        var probe = new Probe();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work", k => k.Claims.Add(new ResourceClaim("api")));
                p.AddJob<HeldHandler, Work>("held", k => k.Claims.Add(new ResourceClaim("account-{Name}")));
                p.Services.AddSingleton(hold);
            },
            o =>
            {
                o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
                o.PollInterval = TimeSpan.FromMilliseconds(200);
            },
            configuration: c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Pacer:Resources:api:Quota"] = "2/day",
                ["Pacer:Resources:account-{Name}:Concurrency"] = "1",
            }));
        using var gauges = new GaugeReader(h);
        var work = await h.Client.EnqueueManyAsync([new EnqueueRequest("work", "{}"), new EnqueueRequest("work", "{}"), new EnqueueRequest("work", "{}")]);
        // Two partitions hold one claim each; a second job on account-a waits for it.
        await h.Client.EnqueueManyAsync([
            new EnqueueRequest("held", """{"name":"a"}"""), new EnqueueRequest("held", """{"name":"b"}"""), new EnqueueRequest("held", """{"name":"a"}""")]);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 2), TimeSpan.FromMilliseconds(50));
        await h.AdvanceUntilAsync(h.UntilStateAsync(work[2].Id, JobState.Waiting), TimeSpan.FromMilliseconds(50));

        // The leader reads the resources every 10 s while someone listens; a look taken while the finished jobs' outcomes
        // were still being written counts them as running, so wait for one taken after.
        await h.AdvanceUntilAsync(EngineHarness.UntilAsync(() => Task.FromResult(gauges.Read() is var now
                && now.GetValueOrDefault("pacer.resource.waiting api") == 1 && now.GetValueOrDefault("pacer.resource.in_use api", -1) == 0)),
            TimeSpan.FromSeconds(1), maxSteps: 200);

        var read = gauges.Read();
        Assert.Equal(2, read["pacer.resource.quota.used api"]);
        Assert.Equal(0, read["pacer.resource.quota.remaining api"]);
        Assert.Equal(0, read["pacer.resource.in_use api"]);
        Assert.Equal(1, read["pacer.resource.waiting api"]);
        Assert.Equal(2, read["pacer.resource.in_use account-{Name}"]);
        Assert.False(read.ContainsKey("pacer.resource.quota.remaining account-{Name}"));
        Assert.DoesNotContain(read.Keys, k => k.EndsWith(" account-a", StringComparison.Ordinal) || k.EndsWith(" account-b", StringComparison.Ordinal));
        hold.SetResult();
    }

    private sealed class HeldHandler(TaskCompletionSource hold) : IJobHandler<Work>
    {
        public Task HandleAsync(Work args, JobContext context) => hold.Task.WaitAsync(context.CancellationToken);
    }

    /// <summary>Reads this host's resource gauges on demand, as an exporter's collection would.</summary>
    private sealed class GaugeReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _values = new(StringComparer.Ordinal);

        public GaugeReader(EngineHarness h)
        {
            var meters = h.Host.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name.StartsWith("pacer.resource.", StringComparison.Ordinal))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "pacer.resource")
                        _values[$"{instrument.Name} {tag.Value}"] = value;
                }
            });
            _listener.Start();
        }

        public IReadOnlyDictionary<string, long> Read()
        {
            _values.Clear();
            _listener.RecordObservableInstruments();
            return new Dictionary<string, long>(_values, StringComparer.Ordinal);
        }

        public void Dispose() => _listener.Dispose();
    }
}
