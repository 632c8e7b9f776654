using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Tests.BuiltIn;

namespace Pacer.Tests.Http;

/// <summary>The HTTP integration's per-call timeout (Polly) and what it tells the resource's breaker.</summary>
public sealed class CallTimeoutTests
{
    [Fact]
    public async Task SlowAnswer_TimesOutAfterTheResourcesCallTimeout_AndCountsAsAFailure()
    {
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        var directory = Directory.CreateTempSubdirectory("pacer-timeout-");
        try
        {
            var services = new ServiceCollection();
            services.AddPacer(p => p.UseSqlite(Path.Combine(directory.FullName, "pacer.db")).AddResource("slow", r =>
            {
                r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
                r.CallTimeout = "500ms";
                r.Breaker = new BreakerOptions { ConsecutiveFailures = 1, Break = "1min" };
            }));
            // What Pacer let through, counted below it in the client's pipeline: whether a call that timed out reached the
            // server is up to the machine's load (a connection the client drops before Kestrel reads it never does).
            var sent = new SentCounter();
            services.AddHttpClient("slow").AddPacerResources().AddHttpMessageHandler(() => new CountingHandler(sent));
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("slow");
            var clock = System.Diagnostics.Stopwatch.StartNew();

            var error = await Assert.ThrowsAsync<TimeoutException>(() => client.GetAsync(server.Url("/report")));

            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
            Assert.Contains("did not answer within 500ms", error.Message, StringComparison.Ordinal);
            var status = Assert.Single(await provider.GetRequiredService<IPacerResources>().ListAsync(), r => r.Name == "slow");
            Assert.Equal("open", status.Breaker);
            // Open: the next call is refused before it is sent.
            await Assert.ThrowsAsync<ResourceUnavailableException>(() => client.GetAsync(server.Url("/report")));
            Assert.Equal(1, sent.Count);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CallTheCallerGivesUp_IsCountedAsACancelledCall_NotAsAFailureOfTheResource()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
        var directory = Directory.CreateTempSubdirectory("pacer-cancelled-");
        try
        {
            var services = new ServiceCollection();
            services.AddPacer(p => p.UseSqlite(Path.Combine(directory.FullName, "pacer.db")).AddResource("api", r =>
            {
                r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
                r.Breaker = new BreakerOptions { ConsecutiveFailures = 1, Break = "1min" };
            }));
            services.AddHttpClient("api").AddPacerResources();
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
            var outcomes = new List<string?>();
            using var listener = new System.Diagnostics.Metrics.MeterListener();
            var meters = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "pacer.http.calls")
                    l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "pacer.outcome")
                        lock (outcomes) outcomes.Add(tag.Value as string);
                }
            });
            listener.Start();
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");

            // The caller's own timeout: it gives up once the request is at the server.
            using var giveUp = new CancellationTokenSource();
            var call = client.GetAsync(server.Url("/report"), giveUp.Token);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

            lock (outcomes)
                Assert.Equal(["cancelled"], outcomes);
            var status = Assert.Single(await provider.GetRequiredService<IPacerResources>().ListAsync(), r => r.Name == "api");
            Assert.Equal("closed", status.Breaker);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private sealed class SentCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    private sealed class CountingHandler(SentCounter sent) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent.Add();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
