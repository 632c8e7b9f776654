namespace Pacer.Emulators.YouTube;

/// <summary>A charge taken before a request is handled, settled afterwards (a 304 may cost less).</summary>
internal readonly record struct QuotaCharge(string Method, long Units, bool FromBucket);

/// <summary>
/// The daily quota. A request is charged before it is handled (invalid requests cost too); a refused request costs
/// nothing. The day is the calendar date in the reset time zone, so midnight moves with daylight saving.
/// </summary>
internal sealed class YouTubeQuota
{
    private const string PacificTimeZone = "America/Los_Angeles";

    private readonly Lock _gate = new();
    private readonly long _budget;
    private readonly Dictionary<string, int> _costs;
    private readonly Dictionary<string, int> _buckets;
    private readonly int _notModifiedCost;
    private readonly TimeZoneInfo _zone;
    private readonly TimeProvider _time;
    private readonly YouTubeCounters _counters;
    private readonly Dictionary<string, long> _bucketCalls = new(StringComparer.Ordinal);
    private DateOnly _day;
    private long _used;

    public YouTubeQuota(YouTubeQuotaOptions options, TimeProvider time, YouTubeCounters counters)
    {
        _budget = options.DailyBudget;
        _costs = new Dictionary<string, int>(options.Costs, StringComparer.Ordinal);
        _buckets = new Dictionary<string, int>(options.SeparateDailyCalls, StringComparer.Ordinal);
        _notModifiedCost = options.NotModifiedCost;
        _zone = options.ResetTimeZone ?? TimeZoneInfo.FindSystemTimeZoneById(PacificTimeZone);
        _time = time;
        _counters = counters;
        _day = Today();
    }

    /// <summary>Units of the shared budget used in the current quota day.</summary>
    public long UsedToday
    {
        get
        {
            lock (_gate)
            {
                RollOver();
                return _used;
            }
        }
    }

    /// <summary>Takes the method's cost, or returns false when today's budget (or its bucket) cannot pay it.</summary>
    public bool TryCharge(string method, out QuotaCharge charge)
    {
        lock (_gate)
        {
            RollOver();
            if (_buckets.TryGetValue(method, out var calls))
            {
                var made = _bucketCalls.GetValueOrDefault(method);
                charge = new QuotaCharge(method, 1, FromBucket: true);
                if (made >= calls)
                    return false;
                _bucketCalls[method] = made + 1;
            }
            else
            {
                var units = Math.Max(1, _costs.GetValueOrDefault(method, 1));
                charge = new QuotaCharge(method, units, FromBucket: false);
                if (_used + units > _budget)
                    return false;
                _used += units;
            }
        }
        _counters.AddUnits(charge.Units);
        return true;
    }

    /// <summary>A 304 costs <see cref="YouTubeQuotaOptions.NotModifiedCost"/> instead of the method's cost.</summary>
    public void SettleNotModified(QuotaCharge charge)
    {
        if (charge.FromBucket)
            return;
        var difference = _notModifiedCost - charge.Units;
        lock (_gate)
        {
            // The day may have rolled over since the charge: then there is nothing of it left to correct.
            if (_day == Today())
                _used = Math.Max(0, _used + difference);
        }
        _counters.AddUnits(difference);
    }

    /// <summary>Starts a new quota day now, as midnight Pacific would.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _used = 0;
            _bucketCalls.Clear();
            _day = Today();
        }
    }

    private void RollOver()
    {
        var today = Today();
        if (today == _day)
            return;
        _day = today;
        _used = 0;
        _bucketCalls.Clear();
    }

    private DateOnly Today() => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_time.GetUtcNow(), _zone).DateTime);
}
