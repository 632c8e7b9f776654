using System.Globalization;
using System.Text.RegularExpressions;

namespace Pacer.Cli;

/// <summary>Parsers for option values; each failure is a usage error that shows what a good value looks like.</summary>
internal static partial class CliParse
{
    /// <summary>
    /// A duration such as <c>30s</c>, <c>5m</c> or <c>5min</c>, <c>1h</c>, <c>2d</c>, <c>250ms</c> or combined <c>1h30m</c>.
    /// </summary>
    /// <remarks>
    /// The core parses the durations of resource configuration (<c>Break</c>, <c>CallTimeout</c>) with its own internal
    /// parser, which the CLI cannot reach; this one accepts the same units (min as well as m) so a duration written for
    /// one reads the same in the other.
    /// </remarks>
    public static TimeSpan Duration(string option, string value)
    {
        var match = DurationPattern().Match(value.Trim());
        if (!match.Success)
            throw CliException.Usage($"{option} '{value}' is not a duration; use a number and a unit, e.g. 30s, 5min, 2h, 1d or 1h30m.");
        var total = TimeSpan.Zero;
        try
        {
            var amounts = match.Groups["amount"].Captures;
            var units = match.Groups["unit"].Captures;
            for (var i = 0; i < amounts.Count; i++)
            {
                var amount = long.Parse(amounts[i].Value, CultureInfo.InvariantCulture);
                total += units[i].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" or "min" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    _ => TimeSpan.FromDays(amount),
                };
            }
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
        {
            throw CliException.Usage($"{option} '{value}' is too long a duration; use at most a few years.", ex);
        }
        return total;
    }

    /// <summary>An ISO 8601 time such as <c>2026-11-25T17:00:00Z</c>; without an offset it is taken as UTC.</summary>
    public static DateTimeOffset Time(string option, string value)
    {
        if (!IsoDate().IsMatch(value)
            || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            throw CliException.Usage($"{option} '{value}' is not an ISO 8601 time; use e.g. 2026-11-25T17:00:00Z or 2026-11-25T18:00:00+01:00.");
        return time;
    }

    /// <summary>Queues and their concurrency: <c>default=5,emails=2</c>.</summary>
    public static Dictionary<string, int> Queues(string option, string value)
    {
        var queues = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pieces = part.Split('=', StringSplitOptions.TrimEntries);
            if (pieces.Length != 2 || pieces[0].Length == 0
                || !int.TryParse(pieces[1], NumberStyles.None, CultureInfo.InvariantCulture, out var slots) || slots < 1)
                throw CliException.Usage($"{option} '{value}' is not a queue list; use NAME=SLOTS pairs with SLOTS of at least 1, e.g. default=5,emails=2.");
            if (!queues.TryAdd(pieces[0], slots))
                throw CliException.Usage($"{option} names queue '{pieces[0]}' twice; name each queue once.");
        }
        if (queues.Count == 0)
            throw CliException.Usage($"{option} is empty; use NAME=SLOTS pairs, e.g. default=5,emails=2.");
        return queues;
    }

    /// <summary>Job states, repeated or comma-separated: <c>running,retryable</c>.</summary>
    public static IReadOnlyList<JobState> States(string option, IEnumerable<string> values)
    {
        var states = new List<JobState>();
        foreach (var name in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!JobStates.TryParseWire(name.ToLowerInvariant(), out var state))
                throw CliException.Usage($"{option} '{name}' is not a job state; use one of {string.Join(", ", Enum.GetValues<JobState>().Select(s => s.ToWire()))}.");
            if (!states.Contains(state))
                states.Add(state);
        }
        return states;
    }

    [GeneratedRegex("^(?:(?<amount>[0-9]{1,9})(?<unit>ms|min|s|m|h|d))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}")]
    private static partial Regex IsoDate();
}
