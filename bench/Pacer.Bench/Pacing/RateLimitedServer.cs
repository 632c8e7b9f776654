using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pacer.Bench.Pacing;

/// <summary>
/// The API both engines call: Kestrel on 127.0.0.1 and a free port, enforcing its own limit with a token bucket written
/// independently of Pacer's GCRA. A call that finds a token is accepted (its arrival time recorded) and answered after
/// the service time; one that finds none is a violation, answered 429 with <c>Retry-After: 1</c> at once.
/// </summary>
/// <remarks>
/// The bucket refills continuously at the limit and holds <see cref="Capacity"/> tokens: 1 + the limit's worth of
/// <see cref="Tolerance"/>. So it accepts any sequence of calls that, relative to the limit's even spacing, arrives at
/// most 100 ms early in total: a short stall on the client, or in this process, that bunches calls is forgiven, a
/// client that sends a second's worth at once is not. <see cref="Reset"/> refills it between cases.
/// </remarks>
internal sealed class RateLimitedServer : IAsyncDisposable
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(100);

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<long> _accepted = [];
    private double _perSecond = 1;
    private double _tokens;
    private long _last;
    private int _violations;
    private TimeSpan _serviceTime;
    private int _expected = int.MaxValue;
    private TaskCompletionSource _allAccepted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RateLimitedServer(WebApplication app)
    {
        _app = app;
        app.Run(HandleAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Tokens the bucket holds when full.</summary>
    public double Capacity => 1 + (_perSecond * Tolerance.TotalSeconds);

    /// <summary>Stopwatch timestamps of the accepted calls' arrivals, in order.</summary>
    public long[] Accepted
    {
        get
        {
            lock (_lock)
                return [.. _accepted];
        }
    }

    public int AcceptedCount
    {
        get
        {
            lock (_lock)
                return _accepted.Count;
        }
    }

    /// <summary>Calls answered 429: the server's count of limit violations.</summary>
    public int Violations => Volatile.Read(ref _violations);

    public static async Task<RateLimitedServer> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new RateLimitedServer(builder.Build());
        await server._app.StartAsync();
        server.BaseAddress = new Uri(server._app.Urls.Single());
        return server;
    }

    /// <summary>
    /// A new case: the limit, the service time of an accepted call, counts cleared and the bucket full. The task
    /// completes when <paramref name="expected"/> calls have been accepted.
    /// </summary>
    public Task Reset(double perSecond, TimeSpan serviceTime, int expected)
    {
        lock (_lock)
        {
            _expected = expected;
            _allAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _perSecond = perSecond;
            _serviceTime = serviceTime;
            _tokens = Capacity;
            _last = Stopwatch.GetTimestamp();
            _accepted.Clear();
            _violations = 0;
            return _allAccepted.Task;
        }
    }

    public string Url(string pathAndQuery) => new Uri(BaseAddress, pathAndQuery).ToString();

    private async Task HandleAsync(HttpContext context)
    {
        // Warm-up calls (JIT, connections) are answered without touching the bucket or the counts.
        if (context.Request.Path.StartsWithSegments("/warm-up"))
            return;
        TimeSpan serviceTime;
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(Capacity, _tokens + (Stopwatch.GetElapsedTime(_last, now).TotalSeconds * _perSecond));
            _last = now;
            if (_tokens < 1)
            {
                _violations++;
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "1";
                return;
            }
            _tokens -= 1;
            _accepted.Add(now);
            if (_accepted.Count == _expected)
                _allAccepted.TrySetResult();
            serviceTime = _serviceTime;
        }
        if (serviceTime > TimeSpan.Zero)
            await Task.Delay(serviceTime, context.RequestAborted);
        await context.Response.WriteAsync("ok", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
