using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pacer.Emulators.Hosting;

/// <summary>
/// Kestrel on 127.0.0.1 (never another interface), with latency and injected faults in front of an emulator's API.
/// Requests under <see cref="AdminPrefix"/>, and those an emulator answers outside its API, bypass both and are not counted.
/// </summary>
internal sealed class EmulatorHost : IAsyncDisposable
{
    public const string AdminPrefix = "/_emulator";
    private const int SlowBodyChunks = 16;

    private readonly WebApplication _app;
    private readonly IEmulatorApi _api;
    private readonly EmulatorCounters _counters;
    private readonly FaultInjector _faults;
    private readonly TimeProvider _time;
    private readonly TimeSpan _slowBodyDuration;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    private EmulatorHost(WebApplication app, EmulatorOptions options, IEmulatorApi api, EmulatorCounters counters)
    {
        _app = app;
        _api = api;
        _counters = counters;
        _faults = new FaultInjector(options);
        _time = options.TimeProvider;
        _slowBodyDuration = options.Faults.SlowBodyDuration;
        app.Run(ServeAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Cancelled when the emulator is disposed, so hanging and long-polling requests end at once.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, IEmulatorApi api, EmulatorCounters counters, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls($"http://127.0.0.1:{options.Port}");
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        // The empty builder adds no logging provider: quiet unless the caller asks for logs.
        options.ConfigureLogging?.Invoke(builder.Logging);
        var host = new EmulatorHost(builder.Build(), options, api, counters);
        try
        {
            await host._app.StartAsync(cancellationToken);
        }
        catch (Exception)
        {
            await host.DisposeAsync();
            throw;
        }
        host.BaseAddress = new Uri(host._app.Urls.Single());
        return host;
    }

    private async Task ServeAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var cancellationToken = linked.Token;
        try
        {
            if (context.Request.Path.StartsWithSegments(AdminPrefix, StringComparison.Ordinal, out var rest))
            {
                await _api.HandleAdminAsync(context, rest, cancellationToken);
                return;
            }
            if (await _api.TryHandleOutsideApiAsync(context, cancellationToken))
                return;

            _counters.CountRequest();
            var decision = _faults.Next();
            if (decision.Delay > TimeSpan.Zero)
                await Task.Delay(decision.Delay, _time, cancellationToken);
            switch (decision.Fault)
            {
                case InjectedFault.Timeout:
                    _counters.CountTimeout();
                    // Never answer: only the client giving up (or the emulator stopping) ends this request.
                    await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken);
                    return;
                case InjectedFault.ServerError:
                    _counters.CountServerError();
                    await _api.WriteInjectedFailureAsync(context, decision.StatusCode, cancellationToken);
                    return;
                case InjectedFault.RateLimit:
                    _counters.CountRateLimit();
                    await _api.WriteInjectedFailureAsync(context, decision.StatusCode, cancellationToken);
                    return;
            }

            if (decision.SlowBody)
            {
                _counters.CountSlowBody();
                await ServeSlowlyAsync(context, cancellationToken);
                return;
            }
            await _api.HandleAsync(context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client gave up or the emulator is stopping: there is nobody left to answer.
            context.Abort();
        }
    }

    /// <summary>The API's answer, with the headers sent at once and the body trickled in chunks over the configured duration.</summary>
    private async Task ServeSlowlyAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await _api.HandleAsync(context, cancellationToken);
        }
        finally
        {
            context.Response.Body = original;
        }

        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        context.Response.ContentLength = body.Length;
        await context.Response.StartAsync(cancellationToken);
        if (body.Length == 0)
            return;
        var chunks = Math.Min(SlowBodyChunks, body.Length);
        var pause = _slowBodyDuration / chunks;
        var size = (body.Length + chunks - 1) / chunks;
        for (var offset = 0; offset < body.Length; offset += size)
        {
            await Task.Delay(pause, _time, cancellationToken);
            await original.WriteAsync(body[offset..Math.Min(offset + size, body.Length)], cancellationToken);
            await original.FlushAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stopping.CancelAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
