using System.Threading.RateLimiting;

namespace Pacer.Resources;

/// <summary>
/// A resource as a <see cref="RateLimiter"/>: the permits are the resource's, shared with jobs and with every process on the
/// same store. Acquiring is a store round trip, so <see cref="AttemptAcquireCore"/> blocks for that long (as limiters backed by a
/// shared server do); prefer <see cref="RateLimiter.AcquireAsync"/>.
/// </summary>
internal sealed class ResourceRateLimiter(PacerResources resources, string resource) : RateLimiter
{
    private long _successful;
    private long _failed;

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics() => new()
    {
        TotalSuccessfulLeases = Interlocked.Read(ref _successful),
        TotalFailedLeases = Interlocked.Read(ref _failed),
    };

    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        Count(resources.TryAcquireAsync(resource, Math.Max(permitCount, 1), TimeSpan.Zero, CancellationToken.None).GetAwaiter().GetResult(), permitCount);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        Count(await resources.TryAcquireAsync(resource, Math.Max(permitCount, 1), PacerResources.MaxAcquireWait, cancellationToken), permitCount);

    private RateLimitLease Count(PacerResources.AcquireResult result, int permitCount)
    {
        if (permitCount == 0)
        {
            // Asking for zero permits asks "could I?"; give back what the probe took.
            result.Lease?.Dispose();
            return result.Granted ? ResourceLease.Empty : ResourceLease.Failed(result.RetryAt, result.Reason, resources.Time);
        }
        if (result.Granted)
        {
            Interlocked.Increment(ref _successful);
            return result.Lease!;
        }
        Interlocked.Increment(ref _failed);
        return ResourceLease.Failed(result.RetryAt, result.Reason, resources.Time);
    }
}

/// <summary>Permits of a resource; disposing returns a concurrency permit taken outside a job.</summary>
internal sealed class ResourceLease : RateLimitLease
{
    private readonly PacerResources? _owner;
    private readonly string? _resource;
    private readonly string? _holdId;
    private readonly TimeSpan? _retryAfter;
    private readonly string? _reason;
    private int _disposed;

    public ResourceLease(PacerResources owner, string resource, string? holdId, int cost)
    {
        _owner = owner;
        _resource = resource;
        _holdId = holdId;
        Cost = cost;
        IsAcquired = true;
    }

    private ResourceLease(bool acquired, TimeSpan? retryAfter, string? reason)
    {
        IsAcquired = acquired;
        _retryAfter = retryAfter;
        _reason = reason;
    }

    public static ResourceLease Empty { get; } = new(true, null, null);

    public static ResourceLease Failed(DateTimeOffset? retryAt, string reason, TimeProvider time) =>
        new(false, retryAt is { } at ? Max(at - time.GetUtcNow(), TimeSpan.Zero) : null, reason);

    public int Cost { get; }

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames =>
        _retryAfter is null ? (_reason is null ? [] : [MetadataName.ReasonPhrase.Name]) : [MetadataName.RetryAfter.Name, MetadataName.ReasonPhrase.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (metadataName == MetadataName.RetryAfter.Name && _retryAfter is { } retryAfter)
        {
            metadata = retryAfter;
            return true;
        }
        if (metadataName == MetadataName.ReasonPhrase.Name && _reason is not null)
        {
            metadata = _reason;
            return true;
        }
        metadata = null;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || _holdId is null)
            return;
        // Dispose is synchronous; the return goes to the store in the background and the hold expires if it fails.
        _ = _owner!.ReleaseHoldAsync(_resource!, _holdId);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
