using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Pacer.Testing;

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, answering with the test's delegate and recording each request.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private TestServer(WebApplication app, Func<HttpContext, string, Task> respond)
    {
        _app = app;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
                context.Request.Headers.Authorization.ToString(), body)
            {
                Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            });
            await respond(context, body);
        });
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<TestServer> StartAsync(Func<HttpContext, string, Task> respond)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var server = new TestServer(builder.Build(), respond);
        await server._app.StartAsync();
        server.BaseAddress = new Uri(server._app.Urls.Single() + "/");
        return server;
    }

    /// <summary>Writes a JSON body with a status (and an ETag, if given).</summary>
    public static async Task AnswerAsync(HttpContext context, int status, string json, string? etag = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        if (etag is not null)
            context.Response.Headers.ETag = etag;
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record RecordedRequest(string Method, string Path, string Query, string Authorization, string Body)
{
    /// <summary>Every request header, by case-insensitive name.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}
