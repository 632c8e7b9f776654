using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Pacer.ChannelSync;
using Pacer.Emulators;
using Pacer.Cli.Telemetry;
using Pacer.Testing;
using Pacer.Tests.BuiltIn;

namespace Pacer.Cli.Tests.Telemetry;

/// <summary>
/// <c>pacer run</c> and <c>pacer sync</c> exporting over OTLP (http/protobuf) to a real local server. The bodies are
/// protobuf: names and string values are in them as UTF-8, which is what these tests look for.
/// </summary>
/// <remarks>One class, so its tests never run at the same time: the exporter's failure events are process-wide.</remarks>
public sealed class OtlpExportTests : IDisposable
{
    private const string Secret = "s3cr3t-hook-token-4711";

    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    private Task<string> ConfigAsync(Uri endpoint, string extra = "") => _cli.ConfigAsync(
        $$"""
        {
          "OTEL_EXPORTER_OTLP_ENDPOINT": "{{endpoint}}",
          "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
          "Secrets": { "HOOK_TOKEN": "{{Secret}}" }{{extra}}
        }
        """);

    private static string Received(TestHttpServer collector, string path) =>
        string.Concat(collector.Requests.Where(r => r.PathAndQuery == path).Select(r => r.Body));

    [Fact]
    public async Task Run_ExportsJobSpansWithTheirHttpCalls_MetricsAndLogs_AndNoSecret()
    {
        await using var collector = await TestHttpServer.StartAsync(200);
        await using var api = await TestHttpServer.StartAsync(204);
        var config = await ConfigAsync(collector.BaseAddress, """, "OTEL_SERVICE_NAME": "pacer-under-test" """);
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop");
        await _cli.EnqueueAsync("http", "--args", JsonSerializer.Serialize(new
        {
            url = api.Url("/hook?key={secret:HOOK_TOKEN}"),
            method = "POST",
            headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {secret:HOOK_TOKEN}" },
            body = "{}",
        }));

        var result = await _cli.RunAsync("run", "--drain", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        // The API got the secret: it was there to leak.
        Assert.Contains(Secret, Assert.Single(api.Requests).PathAndQuery, StringComparison.Ordinal);
        var traces = Received(collector, "/v1/traces");
        Assert.Contains("pacer.job noop", traces, StringComparison.Ordinal);
        Assert.Contains("pacer.job http", traces, StringComparison.Ordinal);
        Assert.Contains("pacer-under-test", traces, StringComparison.Ordinal);
        // The job's call, as HttpClient's own span, its query string redacted by the runtime.
        Assert.Contains(api.Url("/hook?*"), traces, StringComparison.Ordinal);
        var metrics = Received(collector, "/v1/metrics");
        Assert.Contains("pacer.jobs.completed", metrics, StringComparison.Ordinal);
        Assert.Contains("pacer.job.duration", metrics, StringComparison.Ordinal);
        Assert.Contains("http.client.request.duration", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet.gc.collections", metrics, StringComparison.Ordinal);
        var logs = Received(collector, "/v1/logs");
        Assert.Contains("Pacer worker", logs, StringComparison.Ordinal);
        // service.instance.id is the worker id, as the jobs' rows name their owner.
        var worker = System.Text.RegularExpressions.Regex.Match(logs, @"Pacer worker (\S+) started").Groups[1].Value;
        Assert.Contains(worker, traces, StringComparison.Ordinal);
        Assert.All(collector.Requests, r => Assert.DoesNotContain(Secret, r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_TheExportersOwnCallsToTheCollector_AreNotInTheHttpClientMetrics()
    {
        await using var collector = await TestHttpServer.StartAsync(200);
        await using var api = await TestHttpServer.StartAsync(204);
        // The collector by name, the API by address: a server.address of "localhost" can only be an export.
        var endpoint = new UriBuilder(collector.BaseAddress) { Host = "localhost" }.Uri;
        var config = await ConfigAsync(endpoint, """, "OTEL_METRIC_EXPORT_INTERVAL": "100" """);
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("http", "--args", JsonSerializer.Serialize(new { url = api.Url("/hook"), method = "POST", body = "{}" }));
        await _cli.EnqueueAsync("sleep", "--args", """{"milliseconds":1500}"""); // several metric exports while it runs

        var result = await _cli.RunAsync("run", "--drain", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        var metrics = Received(collector, "/v1/metrics");
        Assert.Contains("http.client.request.duration", metrics, StringComparison.Ordinal); // the job's call
        Assert.True(collector.Requests.Count(r => r.PathAndQuery == "/v1/metrics") > 2, "fewer exports than expected");
        Assert.DoesNotContain("localhost", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_ExportsItsJobsSpans_WithoutTheApiKey()
    {
        await using var collector = await TestHttpServer.StartAsync(200);
        const string key = "yt-key-never-exported-0815";
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2, MaxVideosPerChannel = 60, Seed = 2, ApiKeys = { key } });
        var config = await ConfigAsync(collector.BaseAddress, $$""", "YouTube": { "ApiKey": "{{key}}" } """);

        var result = await _cli.RunAsync("sync", "--config", config, "--api-base", youtube.BaseAddress.ToString(),
            "--channels", string.Join(',', youtube.Channels.Select(c => c.Id)), "--to", Path.Combine(_cli.Folder, "videos.csv"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var traces = Received(collector, "/v1/traces");
        Assert.Contains($"pacer.job {ChannelSyncKinds.Run}", traces, StringComparison.Ordinal);
        Assert.Contains($"pacer.job {ChannelSyncKinds.Channel}", traces, StringComparison.Ordinal);
        Assert.Contains("/youtube/v3/playlistItems?*", traces, StringComparison.Ordinal);
        var metrics = Received(collector, "/v1/metrics");
        Assert.Contains("pacer.http.calls", metrics, StringComparison.Ordinal);
        Assert.Contains("pacer.sync.rows.written", metrics, StringComparison.Ordinal);
        // The youtube resource's quota, as the maintenance leader (this process) last saw it.
        Assert.Contains("pacer.resource.quota.remaining", metrics, StringComparison.Ordinal);
        Assert.All(collector.Requests, r => Assert.DoesNotContain(key, r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACollectorThatCannotBeReached_IsSaidInTheLog_OncePerEndpoint()
    {
        var log = new LogCapture();
        var overrides = CliRun.Quiet with { Logging = logging => logging.ClearProviders().AddProvider(log) };
        // Nothing listens on port 1: every export is refused at once.
        var config = await ConfigAsync(new Uri("http://127.0.0.1:1"));
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop");

        var result = await _cli.RunAsync(overrides, ["run", "--drain", "--config", config]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = log.Lines.Where(l => l.Contains("Telemetry export:", StringComparison.Ordinal)).ToArray();
        var traces = Assert.Single(lines, l => l.Contains("http://127.0.0.1:1/v1/traces", StringComparison.Ordinal));
        Assert.StartsWith("Warning", traces, StringComparison.Ordinal);
        Assert.Contains("Connection refused", traces, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("http://127.0.0.1:1/v1/metrics", StringComparison.Ordinal));
    }

    [Fact]
    public void TheExportersOwnReport_IsOneLinePerValue_AndNeverShowsAHeadersValue()
    {
        var invalid = ExportFailureLog.Describe("{0} environment variable has an invalid value: '{1}'", ["OTEL_EXPORTER_OTLP_HEADERS", "x-api-key sk-live-0042"], "InvalidEnvironmentVariable");
        var failed = ExportFailureLog.Describe("Exporter failed send data to collector to {0} endpoint. Data will not be sent. Exception: {1}",
            ["http://127.0.0.1:1/v1/traces", "System.Net.Http.HttpRequestException: Connection refused (127.0.0.1:1)\n   at System.Net.Http.HttpConnectionPool.ConnectAsync()"], "FailedToReachCollector");

        Assert.Equal("OTEL_EXPORTER_OTLP_HEADERS environment variable has an invalid value: '(hidden)'", invalid);
        Assert.Equal("Exporter failed send data to collector to http://127.0.0.1:1/v1/traces endpoint. Data will not be sent. Exception: System.Net.Http.HttpRequestException: Connection refused (127.0.0.1:1)", failed);
    }

    [Fact]
    public void WithoutAnEndpoint_NothingIsExported()
    {
        using var host = CliHost.CreateBuilder(new CliHostSettings(_cli.Database) { Overrides = CliRun.Quiet, ExportTelemetry = true }).Build();

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317", "OTEL_EXPORTER_OTLP_ENDPOINT 'localhost:4317' is not an http or https URL; set it to your collector's address")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT 'collector:4318' is not an http or https URL; set it to the full address for that signal")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL 'http/json' is not supported; use grpc (the default) or http/protobuf")]
    // The SDK would fail the host's start with a stack trace; and the value, a collector's key, is not repeated.
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k1,sk-live-0042", "OTEL_EXPORTER_OTLP_HEADERS is not a list of name=value pairs")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "sk-live-0042", "OTEL_EXPORTER_OTLP_LOGS_HEADERS is not a list of name=value pairs")]
    public async Task AnUnusableSetting_IsOneLineNamingIt_AndTheJobsStayAsTheyWere(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318", [key] = value };
        var config = await _cli.ConfigAsync(JsonSerializer.Serialize(settings));
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");

        var result = await _cli.RunAsync("run", "--drain", "--config", config);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: " + expected, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        if (key.EndsWith("HEADERS", StringComparison.Ordinal))
            Assert.DoesNotContain("sk-live-0042", result.Error, StringComparison.Ordinal);
        Assert.Equal("available", (await _cli.ShowAsync(id)).GetProperty("state").GetString());
    }
}
