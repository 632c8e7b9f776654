using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// Where a Pacer sync's time goes, from the engine's own telemetry: when each job kind first started and last ended
/// (relative to the start of the sync), and how often the finish job looked too early. Listens to this host's meters only.
/// </summary>
internal sealed class PacerTimeline : IDisposable
{
    private readonly long _origin;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (double First, double Last, int Started, int Snoozed)> _kinds = new(StringComparer.Ordinal);

    public PacerTimeline(IServiceProvider services, long origin)
    {
        _origin = origin;
        var meters = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == PacerTelemetryNames.Meter
                && instrument.Name is "pacer.jobs.started" or "pacer.jobs.snoozed" or "pacer.job.duration")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Record(instrument.Name, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Record(instrument.Name, tags));
        _listener.Start();
    }

    private void Record(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var at = Stopwatch.GetElapsedTime(_origin).TotalSeconds;
        string? kind = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "pacer.job.kind")
                kind = tag.Value as string;
        }
        if (kind is null)
            return;
        lock (_lock)
        {
            var (first, last, started, snoozed) = _kinds.GetValueOrDefault(kind, (double.NaN, double.NaN, 0, 0));
            switch (instrument)
            {
                case "pacer.jobs.started":
                    _kinds[kind] = (double.IsNaN(first) ? at : first, last, started + 1, snoozed);
                    break;
                case "pacer.jobs.snoozed":
                    _kinds[kind] = (first, last, started, snoozed + 1);
                    break;
                default: // the handler's duration is recorded as it returns
                    _kinds[kind] = (first, at, started, snoozed);
                    break;
            }
        }
    }

    /// <summary>For example <c>channel-sync 0.21-0.40 s (1); channel-sync.channel 0.45-2.10 s (32); ...</c></summary>
    public string Describe()
    {
        lock (_lock)
        {
            return string.Join("; ", _kinds.OrderBy(k => k.Value.First).Select(k => string.Create(CultureInfo.InvariantCulture,
                $"{k.Key} {k.Value.First:0.00}-{k.Value.Last:0.00} s ({k.Value.Started} started{(k.Value.Snoozed > 0 ? $", {k.Value.Snoozed} snoozed" : "")})")));
        }
    }

    public void Dispose() => _listener.Dispose();
}
