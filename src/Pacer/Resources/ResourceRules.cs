namespace Pacer.Resources;

/// <summary>
/// One rate limit as a GCRA (generic cell rate algorithm): a single timestamp per limit, the theoretical arrival time
/// (TAT) of the next permit, instead of a token count that needs a refill timer. Equivalent to a token bucket of
/// <see cref="Burst"/> tokens refilled at <see cref="Permits"/> per <see cref="Period"/>.
/// </summary>
internal sealed record RateLimit(int Permits, TimeSpan Period, int Burst)
{
    /// <summary>Time per permit, rounded up so rounding can only slow us down, never exceed the limit.</summary>
    public long IntervalTicks { get; } = (Period.Ticks + Permits - 1) / Permits;

    private long ToleranceTicks => (Burst - 1) * IntervalTicks;

    /// <summary>The earliest time at or after <paramref name="now"/> when <paramref name="cost"/> permits conform.</summary>
    /// <remarks>
    /// A cost above the burst could never conform; it is let through when the limit is idle (TAT reached) and leaves
    /// the limit in debt for as long as those permits take to earn, so the long-run rate still holds.
    /// </remarks>
    public long EarliestTicks(long tat, long now, int cost)
    {
        if (cost > Burst)
            return Math.Max(tat, now);
        return Math.Max(now, tat + ((cost - 1) * IntervalTicks) - ToleranceTicks);
    }

    /// <summary>The TAT after granting <paramref name="cost"/> permits at <paramref name="at"/> (which must conform).</summary>
    public long Take(long tat, long at, int cost) => Math.Max(tat, at) + (cost * IntervalTicks);

    /// <summary>Permits that could be taken right now (for display).</summary>
    public int Available(long tat, long now)
    {
        if (tat <= now)
            return Burst;
        var debt = tat - now;
        return (int)Math.Clamp((ToleranceTicks - debt + IntervalTicks) / IntervalTicks, 0, Burst);
    }

    public override string ToString() => Period == TimeSpan.FromSeconds(1) ? $"{Permits}/s"
        : Period == TimeSpan.FromMinutes(1) ? $"{Permits}/min"
        : Period == TimeSpan.FromHours(1) ? $"{Permits}/h"
        : $"{Permits}/{ResourceSyntax.Format(Period)}";
}

/// <summary>A budget of units per window of the clock in a time zone.</summary>
internal sealed record QuotaRule(long Units, QuotaPeriod Period, TimeZoneInfo Zone)
{
    /// <summary>The window holding <paramref name="now"/>: [start, end).</summary>
    public (DateTimeOffset Start, DateTimeOffset End) WindowAt(DateTimeOffset now)
    {
        if (Period == QuotaPeriod.Day)
        {
            // Midnight to midnight of the zone's local date: 23 or 25 hours long on DST change days.
            var date = TimeZoneInfo.ConvertTime(now, Zone).Date;
            var start = LocalToUtc(date);
            var end = LocalToUtc(date.AddDays(1));
            return (start, end);
        }
        var length = Period == QuotaPeriod.Hour ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(1);
        var offset = Zone.GetUtcOffset(now);
        var local = now.UtcTicks + offset.Ticks;
        var startTicks = local - (local % length.Ticks) - offset.Ticks;
        var windowStart = new DateTimeOffset(startTicks, TimeSpan.Zero);
        return (windowStart, windowStart + length);
    }

    /// <summary>The UTC instant of a wall-clock time in <see cref="Zone"/>; the first one if it happens twice, the jump if it is skipped.</summary>
    private DateTimeOffset LocalToUtc(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (Zone.IsInvalidTime(local))
            offset = Zone.GetUtcOffset(local.AddDays(-1)); // skipped: the clock jumped at this instant of the old offset
        else if (Zone.IsAmbiguousTime(local))
            offset = Zone.GetAmbiguousTimeOffsets(local).Max(); // happens twice: the larger offset is the earlier instant
        else
            offset = Zone.GetUtcOffset(local);
        return new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
    }

    public override string ToString() =>
        $"{Units}/{Period.ToString().ToLowerInvariant()}" + (Zone == TimeZoneInfo.Utc ? "" : $"@{Zone.Id}");
}

/// <summary>Parsed <see cref="BreakerOptions"/>.</summary>
internal sealed record BreakerRule(
    double? FailureRatio,
    int MinimumCalls,
    TimeSpan Sampling,
    int? ConsecutiveFailures,
    TimeSpan Break,
    TimeSpan MaxBreak,
    int Probes)
{
    /// <summary>How long the breaker stays open after its <paramref name="opens"/>-th consecutive open (1-based).</summary>
    public TimeSpan BreakFor(int opens)
    {
        var factor = Math.Pow(2, Math.Clamp(opens - 1, 0, 30));
        var ticks = Math.Min(Break.Ticks * factor, MaxBreak.Ticks);
        return TimeSpan.FromTicks((long)Math.Max(ticks, Break.Ticks));
    }
}

/// <summary>A <c>host[:port][/path]</c> entry of <see cref="ResourceOptions.Hosts"/>.</summary>
internal sealed record HostRule(string Host, int? Port, string PathPrefix)
{
    public static bool TryParse(string text, out HostRule rule)
    {
        rule = null!;
        var value = text.Trim();
        if (value.Contains("://", StringComparison.Ordinal))
            value = value[(value.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var path = slash >= 0 ? value[slash..].TrimEnd('/') : "";
        var hostPort = slash >= 0 ? value[..slash] : value;
        int? port = null;
        var colon = hostPort.LastIndexOf(':');
        if (colon > 0 && !hostPort.EndsWith(']'))
        {
            if (!int.TryParse(hostPort.AsSpan(colon + 1), out var p) || p is < 1 or > 65535)
                return false;
            port = p;
            hostPort = hostPort[..colon];
        }
        if (hostPort.Length == 0 || Uri.CheckHostName(hostPort.Trim('[', ']')) == UriHostNameType.Unknown)
            return false;
        rule = new HostRule(hostPort.Trim('[', ']').ToLowerInvariant(), port, path);
        return true;
    }

    /// <summary>How specific the match is (longer path prefixes and explicit ports win), or -1 for no match.</summary>
    public int Match(Uri uri)
    {
        if (!string.Equals(uri.IdnHost, Host, StringComparison.OrdinalIgnoreCase))
            return -1;
        if (Port is { } port && uri.Port != port)
            return -1;
        if (PathPrefix.Length > 0 && !PathMatches(uri.AbsolutePath, PathPrefix))
            return -1;
        return (PathPrefix.Length * 2) + (Port is null ? 0 : 1);
    }

    internal static bool PathMatches(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/' || prefix.EndsWith('/'));

    public override string ToString() => Host + (Port is { } p ? $":{p}" : "") + PathPrefix;
}

/// <summary>Units per HTTP call by method and path prefix; the longest matching prefix wins.</summary>
internal sealed class CostTable
{
    private readonly (string? Method, string Prefix, int Cost)[] _entries;

    public CostTable(IEnumerable<(string? Method, string Prefix, int Cost)> entries, int defaultCost)
    {
        _entries = [.. entries.OrderByDescending(e => e.Prefix.Length).ThenByDescending(e => e.Method is not null)];
        Default = defaultCost;
    }

    public static CostTable Empty { get; } = new([], 1);

    public int Default { get; }

    public int CostOf(string method, string path)
    {
        foreach (var (m, prefix, cost) in _entries)
        {
            if ((m is null || string.Equals(m, method, StringComparison.OrdinalIgnoreCase)) && HostRule.PathMatches(path, prefix))
                return cost;
        }
        return Default;
    }
}
