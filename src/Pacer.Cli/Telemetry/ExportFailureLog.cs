using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pacer.Cli.Telemetry;

/// <summary>
/// Says in the worker's log when the OTLP exporter cannot deliver (collector down, wrong port, refused headers). The SDK
/// reports that only on its own <see cref="EventSource"/>, which nothing reads unless the OpenTelemetry self-diagnostics
/// file is set up, so a wrong endpoint would otherwise export nothing in silence. Each kind of event, for each endpoint it
/// names, is logged the first time and then at most once a minute, with how many were left out: a collector that is down
/// fails every export.
/// </summary>
/// <remarks>
/// The exporter raises these events on its own thread inside the SDK's suppression scope, so the OTLP log exporter drops
/// the records logged here instead of trying to send them to the collector that just failed.
/// </remarks>
internal sealed partial class ExportFailureLog : EventListener, IHostedService
{
    /// <summary>The OTLP exporter's event source (its other sources say far more, mostly of no use to an operator).</summary>
    private const string ExporterSource = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);

    /// <summary>Enough for every signal's endpoint under each event; past it, events are told apart by id alone.</summary>
    private const int MaxThrottles = 64;

    private readonly ConcurrentDictionary<string, Throttle> _throttles = new(StringComparer.Ordinal);
    private readonly ILogger<ExportFailureLog> _logger;
    private readonly TimeProvider _time;

    public ExportFailureLog(ILogger<ExportFailureLog> logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Called from the base constructor for sources that already exist, before this constructor's body has run.
        if (eventSource.Name == ExporterSource)
            EnableEvents(eventSource, EventLevel.Warning);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        // An event can come in while the base constructor runs, before the logger and the clock are set.
        if (_time is null || eventData.EventSource.Name != ExporterSource || eventData.Level > EventLevel.Warning)
            return;
        // The first value is the endpoint in the events that name one (traces, metrics and logs each have their own).
        var key = string.Create(CultureInfo.InvariantCulture, $"{eventData.EventId}");
        if (_throttles.Count < MaxThrottles && eventData.Payload is [string first, ..])
            key += " " + first;
        var throttle = _throttles.GetOrAdd(key, _ => new Throttle());
        if (!throttle.TryPass(_time.GetUtcNow(), out var skipped))
            return;
        var message = Describe(eventData.Message, eventData.Payload, eventData.EventName);
        if (skipped > 0)
            message += string.Create(CultureInfo.InvariantCulture, $" ({skipped} more like it in the last minute)");
        LogExportProblem(_logger, message);
    }

    /// <summary>
    /// The event's message with its values, each cut to its first line (the SDK passes exceptions with their stacks). A
    /// value that follows a setting's name holding HEADERS is hidden: an invalid OTEL_EXPORTER_OTLP_HEADERS is reported
    /// with its value, which is where a collector's API key goes.
    /// </summary>
    internal static string Describe(string? format, IReadOnlyList<object?>? payload, string? eventName)
    {
        var values = payload?.Select(value => (object?)FirstLine(Convert.ToString(value, CultureInfo.InvariantCulture))).ToArray() ?? [];
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i - 1] is string name && name.Contains("HEADERS", StringComparison.OrdinalIgnoreCase))
                values[i] = "(hidden)";
        }
        if (format is not { Length: > 0 })
            return $"{eventName}: {string.Join(", ", values)}";
        try
        {
            return string.Format(CultureInfo.InvariantCulture, format, values);
        }
        catch (FormatException)
        {
            return $"{format} [{string.Join(", ", values)}]";
        }
    }

    private static string? FirstLine(string? text) =>
        text?.AsSpan().IndexOfAny('\r', '\n') is int end and >= 0 ? text[..end] : text;

    public override void Dispose()
    {
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry export: {Problem}")]
    private static partial void LogExportProblem(ILogger logger, string problem);

    private sealed class Throttle
    {
        private readonly Lock _lock = new();
        private DateTimeOffset _last = DateTimeOffset.MinValue;
        private int _skipped;

        public bool TryPass(DateTimeOffset now, out int skipped)
        {
            lock (_lock)
            {
                if (now - _last < Quiet)
                {
                    _skipped++;
                    skipped = 0;
                    return false;
                }
                _last = now;
                skipped = _skipped;
                _skipped = 0;
                return true;
            }
        }
    }
}
