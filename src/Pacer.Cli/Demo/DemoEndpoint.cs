using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Pacer.Cli.Demo;

/// <summary>
/// The demo's stand-in for a third-party API, on 127.0.0.1 with a random port. Most calls get 200; a fixed share
/// gets 500 or 429 with <c>Retry-After: 1</c> on its first call only (recognised by its Idempotency-Key), so every
/// job succeeds in the end and the retries and pacing show.
/// </summary>
internal sealed class DemoEndpoint : IAsyncDisposable
{
    /// <summary>Orders whose number leaves this remainder fail once with 500, or are rate limited once.</summary>
    private const int Modulus = 25;
    private const int ServerErrorRemainder = 5;
    private const int RateLimitRemainder = 15;

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private long _requests;
    private long _serverErrors;
    private long _rateLimited;

    private DemoEndpoint(WebApplication app)
    {
        _app = app;
        app.Run(AnswerAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public long Requests => Interlocked.Read(ref _requests);

    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    public long RateLimited => Interlocked.Read(ref _rateLimited);

    public static async Task<DemoEndpoint> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var endpoint = new DemoEndpoint(builder.Build());
        await endpoint._app.StartAsync(cancellationToken);
        endpoint.BaseAddress = new Uri(endpoint._app.Urls.Single());
        return endpoint;
    }

    public static bool FailsFirst(int order) => order % Modulus is ServerErrorRemainder or RateLimitRemainder;

    private Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        var first = key.Length > 0 && _seen.TryAdd(key, 0);
        var order = int.TryParse(context.Request.Path.Value?.Split('/')[^1], out var n) ? n : 0;
        if (first && order % Modulus == ServerErrorRemainder)
        {
            Interlocked.Increment(ref _serverErrors);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
        else if (first && order % Modulus == RateLimitRemainder)
        {
            Interlocked.Increment(ref _rateLimited);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "1";
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
