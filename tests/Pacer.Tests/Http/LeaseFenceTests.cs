using Pacer.Tests.BuiltIn;

namespace Pacer.Tests.Http;

/// <summary>A job's call through the HTTP integration leaves only while the attempt surely holds its lease.</summary>
public sealed class LeaseFenceTests
{
    [Fact]
    public async Task ACallForAJobWhoseLeaseMayHaveRunOut_IsNotSent_OneWithinItIs()
    {
        await using var server = await TestHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = 200;
            return Task.CompletedTask;
        });
        await using var pacer = await FakeClockIntegration.StartAsync(server, "api", "other");
        var time = pacer.Time;
        var leaseEnds = time.GetUtcNow() + TimeSpan.FromSeconds(30);

        async Task<HttpResponseMessage> CallAsJobAsync(string client, string url)
        {
            // The scope is the engine's for a running job; set here for this call's flow only.
            new Pacer.Resources.JobResourceScope(Job(), () => leaseEnds).Enter();
            return await pacer.Client(client).GetAsync(url);
        }

        using (var sent = await CallAsJobAsync("api", server.Url("/items")))
            Assert.Equal(200, (int)sent.StatusCode);
        time.Advance(TimeSpan.FromSeconds(30)); // paused, with no heartbeat to extend the lease

        var refused = await Assert.ThrowsAsync<LeaseLostException>(() => CallAsJobAsync("api", server.Url("/items")));
        // A call that matches no resource is passed through, and fenced all the same (never sent, so never resolved).
        await Assert.ThrowsAsync<LeaseLostException>(() => CallAsJobAsync("other", "http://elsewhere.invalid/hook"));
        Assert.Contains("was not sent", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/items", refused.Message, StringComparison.Ordinal); // a path can hold a secret
        Assert.Single(server.Requests);
        time.Advance(TimeSpan.FromSeconds(1)); // the refused call spent its permit: the next waits for its own
        using (var outsideAJob = await pacer.Client("api").GetAsync(server.Url("/items")))
            Assert.Equal(200, (int)outsideAJob.StatusCode);
    }

    private static JobRecord Job() => new()
    {
        Id = 7,
        Kind = "work",
        Queue = "default",
        Priority = 0,
        Args = "{}",
        State = JobState.Running,
        Attempt = 1,
        MaxAttempts = 25,
        ScheduledAt = DateTimeOffset.UnixEpoch,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
