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
            if (context.Request.Path == "/warm-up")
            {
                return;
            }

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
            services.AddHttpClient("slow").AddPacerResources();
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
            // Kestrel's first request on a loaded machine can take longer than the call timeout; a plain call warms it up
            // so the timed call is sure to reach the server before the client gives up on it.
            using (var plain = new HttpClient())
            {
                (await plain.GetAsync(server.Url("/warm-up"))).EnsureSuccessStatusCode();
            }

            await server.WaitForRequestAsync();
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("slow");
            var clock = System.Diagnostics.Stopwatch.StartNew();

            var error = await Assert.ThrowsAsync<TimeoutException>(() => client.GetAsync(server.Url("/report")));

            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
            Assert.Contains("did not answer within 500ms", error.Message, StringComparison.Ordinal);
            var status = Assert.Single(await provider.GetRequiredService<IPacerResources>().ListAsync(), r => r.Name == "slow");
            Assert.Equal("open", status.Breaker);
            // Open: the next call is refused before it is sent.
            await Assert.ThrowsAsync<ResourceUnavailableException>(() => client.GetAsync(server.Url("/report")));
            await server.WaitForRequestAsync();
            Assert.Equal(["/warm-up", "/report"], server.Requests.Select(r => r.PathAndQuery));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
