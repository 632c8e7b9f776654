using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Pacer.Tests.BuiltIn;

namespace Pacer.Tests.Http;

/// <summary>429s without Retry-After from a real server, through the HTTP integration: how long the resource pauses.</summary>
public sealed class TooManyRequestsTests
{
    [Fact]
    public async Task A429AfterCallsWentThroughAgain_PausesOneSecond_NotLongerThanTheOneBefore()
    {
        var answers = new ConcurrentQueue<int>([429, 429, 200, 429]);
        await using var server = await TestHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = answers.TryDequeue(out var status) ? status : 500;
            return Task.CompletedTask;
        });
        var directory = Directory.CreateTempSubdirectory("pacer-429-");
        try
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(time);
            // No breaker: the resource never stores a success, which is what let the streak grow without end.
            services.AddPacer(p => p.UseSqlite(Path.Combine(directory.FullName, "pacer.db")).AddResource("api", r =>
            {
                r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
                r.Rate = "1000/s";
            }));
            services.AddHttpClient("api").AddPacerResources();
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");
            async Task<TimeSpan> PauseAfterRefusedCallAsync()
            {
                var sent = time.GetUtcNow();
                var refused = await Assert.ThrowsAsync<ResourceUnavailableException>(() => client.GetAsync(server.Url("/items")));
                return refused.RetryAt!.Value - sent;
            }

            Assert.Equal(TimeSpan.FromSeconds(1), await PauseAfterRefusedCallAsync());
            time.Advance(TimeSpan.FromSeconds(1.01));
            Assert.Equal(TimeSpan.FromSeconds(2), await PauseAfterRefusedCallAsync()); // refused again at once: a streak
            time.Advance(TimeSpan.FromSeconds(2.01));
            using (var accepted = await client.GetAsync(server.Url("/items")))
                Assert.Equal(200, (int)accepted.StatusCode);
            time.Advance(TimeSpan.FromMilliseconds(300));

            Assert.Equal(TimeSpan.FromSeconds(1), await PauseAfterRefusedCallAsync()); // 4 s if the streak went on
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
