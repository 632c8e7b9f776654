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
