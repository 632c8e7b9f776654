namespace Pacer.Emulators;

/// <summary>The Sheets emulator's counts: calls per method (<c>spreadsheets.values.get</c>, ...), reads, writes and its own 429s.</summary>
public sealed class SheetsCounters : GoogleEmulatorCounters
{
    private long _reads;
    private long _writes;
    private long _rateLimited;

    internal SheetsCounters()
    {
    }

    /// <summary>Read requests admitted by the per-minute limits.</summary>
    public long ReadRequests => Interlocked.Read(ref _reads);

    /// <summary>Write requests admitted by the per-minute limits.</summary>
    public long WriteRequests => Interlocked.Read(ref _writes);

    /// <summary>Requests refused with 429 RESOURCE_EXHAUSTED by the per-minute limits (not injected ones).</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    internal void CountAdmitted(bool write)
    {
        if (write)
            Interlocked.Increment(ref _writes);
        else
            Interlocked.Increment(ref _reads);
    }

    internal void CountRateLimited() => Interlocked.Increment(ref _rateLimited);

    internal override IEnumerable<KeyValuePair<string, object>> Describe() =>
        base.Describe().Concat(
        [
            new("readRequests", ReadRequests),
            new("writeRequests", WriteRequests),
            new("rateLimited", RateLimited),
        ]);
}
