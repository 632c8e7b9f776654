using System.Globalization;
using System.Text.RegularExpressions;

namespace Pacer.Resources;

/// <summary>The words of resource configuration: durations (<c>30s</c>), rates (<c>50/s</c>) and quotas (<c>10000/day@Zone</c>).</summary>
internal static partial class ResourceSyntax
{
    /// <summary>Parses <c>250ms</c>, <c>30s</c>, <c>5min</c>, <c>2h</c>, <c>1d</c>, or a .NET TimeSpan (<c>00:00:30</c>).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var match = DurationPattern().Match(text.Trim());
        if (match.Success)
        {
            var count = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
            if (!TryUnit(match.Groups["unit"].Value, out var unit))
                return false;
            duration = TimeSpan.FromTicks((long)Math.Round(count * unit.Ticks));
            return duration > TimeSpan.Zero;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }

    /// <summary>Parses one or more <c>N/period</c> limits separated by commas or semicolons.</summary>
    public static bool TryParseRates(string? text, out List<(int Permits, TimeSpan Period)> rates, out string? problem)
    {
        rates = [];
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "is empty";
            return false;
        }
        foreach (var part in text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = RatePattern().Match(part);
            if (!match.Success || !int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var permits) || permits < 1)
            {
                problem = $"has '{part}', which is not a rate";
                return false;
            }
            var every = match.Groups["every"].Success ? int.Parse(match.Groups["every"].Value, CultureInfo.InvariantCulture) : 1;
            if (every < 1 || !TryUnit(match.Groups["unit"].Value, out var unit))
            {
                problem = $"has '{part}', whose period is not one of ms, s, min, h, d";
                return false;
            }
            rates.Add((permits, unit * every));
        }
        return rates.Count > 0;
    }

    /// <summary>Parses <c>U/period[@Zone]</c> with period minute, hour or day.</summary>
    public static bool TryParseQuota(string? text, out long units, out QuotaPeriod period, out TimeZoneInfo zone, out string? problem)
    {
        units = 0;
        period = QuotaPeriod.Day;
        zone = TimeZoneInfo.Utc;
        problem = null;
        var match = QuotaPattern().Match(text?.Trim() ?? "");
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out units) || units < 1)
        {
            problem = "is not a quota";
            return false;
        }
        switch (match.Groups["unit"].Value.ToLowerInvariant())
        {
            case "m" or "min" or "minute": period = QuotaPeriod.Minute; break;
            case "h" or "hour": period = QuotaPeriod.Hour; break;
            case "d" or "day": period = QuotaPeriod.Day; break;
            default:
                problem = $"has period '{match.Groups["unit"].Value}'; use minute, hour or day";
                return false;
        }
        if (match.Groups["zone"].Success)
        {
            var id = match.Groups["zone"].Value;
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            }
            catch (TimeZoneNotFoundException)
            {
                problem = $"names time zone '{id}', which this machine does not know (use an IANA id such as America/Los_Angeles)";
                return false;
            }
            catch (InvalidTimeZoneException)
            {
                problem = $"names time zone '{id}', whose data on this machine is invalid";
                return false;
            }
        }
        return true;
    }

    private static bool TryUnit(string unit, out TimeSpan value)
    {
        value = unit.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(1),
            "s" or "sec" or "second" or "seconds" => TimeSpan.FromSeconds(1),
            "m" or "min" or "minute" or "minutes" => TimeSpan.FromMinutes(1),
            "h" or "hour" or "hours" => TimeSpan.FromHours(1),
            "d" or "day" or "days" => TimeSpan.FromDays(1),
            _ => TimeSpan.Zero,
        };
        return value > TimeSpan.Zero;
    }

    /// <summary>A short human form of a duration: 250ms, 30s, 5min, 2h.</summary>
    public static string Format(TimeSpan duration) => duration switch
    {
        { TotalMilliseconds: < 1000 } => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0.#}ms"),
        { TotalSeconds: < 120 } => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.#}s"),
        { TotalMinutes: < 120 } => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMinutes:0.#}min"),
        { TotalHours: < 48 } => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalHours:0.#}h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalDays:0.#}d"),
    };

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<unit>[A-Za-z]+)$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>\d+)\s*/\s*(?<every>\d+)?\s*(?<unit>[A-Za-z]+)$")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^(?<n>\d+)\s*/\s*(?<unit>[A-Za-z]+)(\s*@\s*(?<zone>\S+))?$")]
    private static partial Regex QuotaPattern();
}

internal enum QuotaPeriod { Minute, Hour, Day }
