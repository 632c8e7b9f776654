using System.Collections.Concurrent;
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
        // No breaker: the resource never stores a success, which is what let the streak grow without end.
        await using var pacer = await FakeClockIntegration.StartAsync(server, "api");
        var time = pacer.Time;
        var client = pacer.Client("api");
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
}
