namespace Pacer.Emulators;

/// <summary>The YouTube emulator's counts: calls per method (see <see cref="YouTubeMethods"/>), quota and 304s.</summary>
public sealed class YouTubeCounters : GoogleEmulatorCounters
{
    private long _unitsSpent;
    private long _notModified;
    private long _quotaExceeded;

    internal YouTubeCounters()
    {
    }

    /// <summary>Quota units charged since start, across days and buckets.</summary>
    public long UnitsSpent => Interlocked.Read(ref _unitsSpent);

    /// <summary>304 Not Modified answers served.</summary>
    public long NotModified => Interlocked.Read(ref _notModified);

    /// <summary>Requests refused with 403 <c>quotaExceeded</c>.</summary>
    public long QuotaExceeded => Interlocked.Read(ref _quotaExceeded);

    internal void AddUnits(long units) => Interlocked.Add(ref _unitsSpent, units);

    internal void CountNotModified() => Interlocked.Increment(ref _notModified);

    internal void CountQuotaExceeded() => Interlocked.Increment(ref _quotaExceeded);

    internal override IEnumerable<KeyValuePair<string, object>> Describe() =>
        base.Describe().Concat(
        [
            new("unitsSpent", UnitsSpent),
            new("notModified", NotModified),
            new("quotaExceeded", QuotaExceeded),
        ]);
}
