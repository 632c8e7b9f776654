using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pacer;

/// <summary>The names of Pacer's <see cref="ActivitySource"/> and <see cref="Meter"/>, for exporters to subscribe to.</summary>
public static class PacerTelemetryNames
{
    public const string ActivitySource = "Pacer";
    public const string Meter = "Pacer";
}

/// <summary>One place for every instrument, so the dashboard and exporters read the same numbers.</summary>
internal sealed class PacerTelemetry : IDisposable
{
    internal static readonly ActivitySource Source = new(PacerTelemetryNames.ActivitySource);

    private readonly Meter _meter;

    public PacerTelemetry(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(PacerTelemetryNames.Meter) ?? new Meter(PacerTelemetryNames.Meter);
        Enqueued = _meter.CreateCounter<long>("pacer.jobs.enqueued", "{job}", "Jobs inserted (not counting unique-key hits).");
        Started = _meter.CreateCounter<long>("pacer.jobs.started", "{job}", "Attempts started.");
        Completed = _meter.CreateCounter<long>("pacer.jobs.completed", "{job}", "Jobs completed.");
        Failed = _meter.CreateCounter<long>("pacer.jobs.failed", "{job}", "Attempts that failed (retried or discarded).");
        Retried = _meter.CreateCounter<long>("pacer.jobs.retried", "{job}", "Failed attempts scheduled to run again.");
        Discarded = _meter.CreateCounter<long>("pacer.jobs.discarded", "{job}", "Jobs discarded (permanent failure or out of attempts).");
        Cancelled = _meter.CreateCounter<long>("pacer.jobs.cancelled", "{job}", "Running jobs stopped by a cancel.");
        Snoozed = _meter.CreateCounter<long>("pacer.jobs.snoozed", "{job}", "Jobs put back without using an attempt.");
        Rescued = _meter.CreateCounter<long>("pacer.jobs.rescued", "{job}", "Jobs whose lease expired and were handed back.");
        Cleaned = _meter.CreateCounter<long>("pacer.jobs.cleaned", "{job}", "Finished jobs past retention deleted by the cleaner.");
        Parked = _meter.CreateCounter<long>("pacer.jobs.parked", "{job}", "Due jobs admission held back to wait for a resource (no attempt used).");
        Abandoned = _meter.CreateCounter<long>("pacer.jobs.abandoned", "{job}", "Handlers that ignored cancellation past the grace period.");
        RejectedCompletions = _meter.CreateCounter<long>("pacer.completions.rejected", "{job}", "Completions refused because the lease was no longer held (fenced zombies).");
        HttpCalls = _meter.CreateCounter<long>("pacer.http.calls", "{call}", "Calls through the HTTP integration, by resource and what the answer meant for it.");
        CacheHits = _meter.CreateCounter<long>("pacer.http.cache.hits", "{call}", "GETs answered from the conditional-request cache after a 304.");
        QueueWait = _meter.CreateHistogram<double>("pacer.job.queue_wait", "s", "From due time to start.");
        Duration = _meter.CreateHistogram<double>("pacer.job.duration", "s", "Handler run time.");
        _resourceGauges =
        [
            _meter.CreateObservableGauge("pacer.resource.quota.used", () => ObserveResources(g => g.QuotaUsed), "{unit}", "Quota spent in the current window (resources with a quota; for a template, all its partitions together)."),
            _meter.CreateObservableGauge("pacer.resource.quota.remaining", () => ObserveResources(g => g.QuotaRemaining), "{unit}", "Quota left in the current window (resources with a quota, not templates)."),
            _meter.CreateObservableGauge("pacer.resource.in_use", () => ObserveResources(g => g.InUse), "{job}", "Running jobs' claims on the resource (its concurrency in use)."),
            _meter.CreateObservableGauge("pacer.resource.waiting", () => ObserveResources(g => g.Waiting), "{job}", "Due jobs parked until the resource can admit them."),
        ];
    }

    private readonly Instrument[] _resourceGauges;
    private IReadOnlyList<ResourceGauge>? _resources;

    /// <summary>Whether any listener reads the resource gauges: nobody listening, nobody need read the store for them.</summary>
    public bool ResourceGaugesEnabled => _resourceGauges.Any(gauge => gauge.Enabled);

    /// <summary>
    /// What the resource gauges report until the next call: the maintenance leader's latest look at the resources, or
    /// null on any other process, so that a database's resources are reported once, not once per worker.
    /// </summary>
    public void ReportResources(IReadOnlyList<ResourceGauge>? gauges) => Volatile.Write(ref _resources, gauges);

    private IEnumerable<Measurement<long>> ObserveResources(Func<ResourceGauge, long?> value)
    {
        if (Volatile.Read(ref _resources) is not { } gauges)
            yield break;
        foreach (var gauge in gauges)
        {
            if (value(gauge) is { } measured)
                yield return new Measurement<long>(measured, new KeyValuePair<string, object?>("pacer.resource", gauge.Name));
        }
    }

    public Counter<long> Enqueued { get; }
    public Counter<long> Started { get; }
    public Counter<long> Completed { get; }
    public Counter<long> Failed { get; }
    public Counter<long> Retried { get; }
    public Counter<long> Discarded { get; }
    public Counter<long> Cancelled { get; }
    public Counter<long> Snoozed { get; }
    public Counter<long> Rescued { get; }
    public Counter<long> Cleaned { get; }
    public Counter<long> Parked { get; }
    public Counter<long> Abandoned { get; }
    public Counter<long> RejectedCompletions { get; }
    public Counter<long> HttpCalls { get; }
    public Counter<long> CacheHits { get; }
    public Histogram<double> QueueWait { get; }
    public Histogram<double> Duration { get; }

    public static KeyValuePair<string, object?> KindTag(string kind) => new("pacer.job.kind", kind);

    public static KeyValuePair<string, object?> QueueTag(string queue) => new("pacer.job.queue", queue);

    /// <summary>The current span's W3C traceparent, stored with an enqueued job so its execution can link back.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    public static Activity? StartExecution(JobRecord job)
    {
        if (!Source.HasListeners())
            return null;
        ActivityLink[]? links = null;
        if (job.TraceParent is { } parent && ActivityContext.TryParse(parent, null, out var enqueuer))
            links = [new ActivityLink(enqueuer)];
        var activity = Source.StartActivity($"pacer.job {job.Kind}", ActivityKind.Consumer, parentContext: default, links: links);
        activity?.SetTag("pacer.job.id", job.Id);
        activity?.SetTag("pacer.job.kind", job.Kind);
        activity?.SetTag("pacer.job.queue", job.Queue);
        activity?.SetTag("pacer.job.attempt", job.Attempt);
        return activity;
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>
/// One resource's gauges. A template (<c>account-{Id}</c>) stands for all its partitions together: their number is
/// unbounded, and so would be a series each. Quota left is per partition, so a template has none.
/// </summary>
internal sealed record ResourceGauge(string Name, long? QuotaUsed, long? QuotaRemaining, long InUse, long Waiting)
{
    public static IReadOnlyList<ResourceGauge> From(IReadOnlyList<ResourceStatus> statuses, Resources.ResourceCatalog catalog)
    {
        var partitions = statuses.Where(s => s.Template is not null).ToLookup(s => s.Template!, StringComparer.Ordinal);
        var gauges = new List<ResourceGauge>();
        foreach (var status in statuses.Where(s => s.Template is null))
        {
            if (catalog.Find(status.Name) is { IsTemplate: true } template && template.Name == status.Name)
            {
                var members = partitions[status.Name].ToArray();
                gauges.Add(new ResourceGauge(status.Name, status.Quota is null ? null : members.Sum(p => p.QuotaUsed ?? 0), null, members.Sum(p => (long)p.InUse), status.Waiting));
            }
            else
            {
                gauges.Add(new ResourceGauge(status.Name, status.QuotaUsed, status.QuotaRemaining, status.InUse, status.Waiting));
            }
        }
        return gauges;
    }
}

