using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pacer.Storage;
using Pacer.Tests.BuiltIn;

namespace Pacer.Cli.Tests;

/// <summary>The http kind through the whole engine on a real SQLite file against a real local server, as the CLI's worker runs it.</summary>
public sealed class HttpKindEndToEndTests : IAsyncLifetime
{
    private readonly CliRun _cli = new();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = new CliHostSettings(_cli.Database) { Overrides = CliRun.Quiet };
        _host = CliHost.CreateBuilder(settings).Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        _cli.Dispose();
    }

    private IJobStore Store => _host.Services.GetRequiredService<IJobStore>();

    private async Task<JobRecord> RunAsync(TestHttpServer server, string path)
    {
        var client = _host.Services.GetRequiredService<IPacerClient>();
        var result = await client.EnqueueAsync("http", JsonSerializer.Serialize(new { method = "POST", url = server.Url(path), body = "{}" }));
        return await _cli.WaitUntilFinalAsync(Store, result.Id);
    }

    private static Task<TestHttpServer> FirstThen(int first, Action<Microsoft.AspNetCore.Http.HttpResponse>? headers = null)
    {
        var calls = 0;
        return TestHttpServer.StartAsync(context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.StatusCode = first;
                headers?.Invoke(context.Response);
            }
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Http_2xx_CompletesOnTheFirstAttempt()
    {
        await using var server = await TestHttpServer.StartAsync(204);

        var job = await RunAsync(server, "/ok");

        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
    }

    [Fact]
    public async Task Http_5xxThen200_RetriesAndCompletes_WithTheSameIdempotencyKey()
    {
        await using var server = await FirstThen(503);

        var job = await RunAsync(server, "/flaky");

        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(2, job.Attempt);
        var error = Assert.Single(job.Errors);
        Assert.Equal(typeof(HttpRequestException).FullName, error.Type);
        Assert.Contains("answered 503", error.Message, StringComparison.Ordinal);
        var keys = server.Requests.Select(r => r.Headers["Idempotency-Key"]).ToArray();
        Assert.Equal([$"pacer-{job.Id}", $"pacer-{job.Id}"], keys);
    }

    [Fact]
    public async Task Http_429WithRetryAfter_SnoozesWithoutUsingAnAttempt()
    {
        await using var server = await FirstThen(429, r => r.Headers.RetryAfter = "1");

        var job = await RunAsync(server, "/limited");

        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
        Assert.Equal(2, server.Requests.Count);
        Assert.True(job.FinalizedAt - job.CreatedAt >= TimeSpan.FromSeconds(1), "The retry came before the server's Retry-After.");
    }

    [Fact]
    public async Task Http_404_IsDiscardedAtOnce()
    {
        await using var server = await TestHttpServer.StartAsync(404, body: "no such hook");

        var job = await RunAsync(server, "/gone");

        Assert.Equal(JobState.Discarded, job.State);
        Assert.Equal(1, job.Attempt);
        var error = Assert.Single(job.Errors);
        Assert.Equal(typeof(PermanentJobException).FullName, error.Type);
        Assert.EndsWith("answered 404 Not Found: no such hook", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }
}
