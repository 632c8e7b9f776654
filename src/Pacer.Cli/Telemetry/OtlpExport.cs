using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Resources;

namespace Pacer.Cli.Telemetry;

/// <summary>
/// Exports a worker's traces, metrics and logs over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, in the
/// environment or in <c>--config</c>. Everything else is the OpenTelemetry SDK's own settings, read from the same
/// configuration (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>_HEADERS</c>, <c>_TIMEOUT</c>, per-signal endpoints,
/// <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c>, ...), so a collector set up
/// for any other OpenTelemetry service takes Pacer's as they are. See docs/telemetry.md.
/// </summary>
/// <remarks>
/// Only <see cref="CliHost"/> decides whether to call this (see <see cref="OtlpSettings.IsConfigured"/>), so a command
/// run without an endpoint never loads the SDK's assemblies.
/// </remarks>
internal static class OtlpExport
{
    /// <summary>HttpClient's own spans and metrics (.NET 9 and later): the calls a job made, under its span.</summary>
    private const string HttpClientSource = "System.Net.Http";

    /// <summary>The runtime's own metrics (.NET 9 and later): GC, heap, thread pool, exceptions.</summary>
    private const string RuntimeMeter = "System.Runtime";

    public static void AddTo(HostApplicationBuilder builder)
    {
        var version = typeof(OtlpExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var name = builder.Configuration[OtlpSettings.ServiceNameKey] is { Length: > 0 } configured ? configured : "pacer";
        // Registered first, so that it is made before the providers and disposed after them: their last export, as
        // the host is disposed, is reported too.
        builder.Services.AddHostedService<ExportFailureLog>();
        // The exporter's own calls to the collector are not the worker's calls: kept out of HttpClient's metrics (the
        // SDK's suppression covers spans, not the runtime's meter) and out of the logs, which they would feed again.
        foreach (var exporter in ExporterClients)
        {
            builder.Services.AddHttpClient(exporter)
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { MeterFactory = UnheardMeters.Instance })
                .RemoveAllLoggers();
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(name, serviceVersion: version, autoGenerateServiceInstanceId: false)
                .AddDetector(services => new WorkerResource(services)))
            .WithTracing(tracing => tracing.AddSource(PacerTelemetryNames.ActivitySource, HttpClientSource))
            .WithMetrics(metrics => metrics.AddMeter(PacerTelemetryNames.Meter, ChannelSync.ChannelSyncTelemetryNames.Meter, HttpClientSource, RuntimeMeter))
            // Scopes carry each job's id, kind, queue and attempt onto its log records.
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                logging.IncludeScopes = true;
                logging.IncludeFormattedMessage = true;
            })
            .UseOtlpExporter();
    }

    /// <summary>The names under which the OTLP exporter asks <see cref="IHttpClientFactory"/> for its clients (its documented defaults).</summary>
    private static readonly string[] ExporterClients = ["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"];

    /// <summary>
    /// Meters under a name nobody listens to: given to the exporter's handlers, HttpClient's instruments are made on them
    /// instead of on <c>System.Net.Http</c>, and record nothing.
    /// </summary>
    private sealed class UnheardMeters : IMeterFactory
    {
        public static readonly UnheardMeters Instance = new();

        // One meter, as the runtime's factory caches its own: the client factory makes a new handler every few minutes.
        private readonly Meter _meter;

        private UnheardMeters() => _meter = new Meter(new MeterOptions("Pacer.Cli.OtlpExporterCalls") { Scope = this });

        public Meter Create(MeterOptions options) => _meter;

        public void Dispose() => _meter.Dispose();
    }

    /// <summary>
    /// <c>service.instance.id</c> is the engine's worker id (<c>host:pid:suffix</c>), the owner <c>pacer jobs show</c>
    /// names, so a job's row and its spans point at the same process.
    /// </summary>
    private sealed class WorkerResource(IServiceProvider services) : IResourceDetector
    {
        public Resource Detect() =>
            new([new KeyValuePair<string, object>("service.instance.id", services.GetRequiredService<IPacerEngine>().WorkerId)]);
    }
}
