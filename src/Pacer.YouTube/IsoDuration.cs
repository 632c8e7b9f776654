using System.Globalization;
using System.Text.RegularExpressions;

namespace Pacer.YouTube;

/// <summary>
/// ISO 8601 durations as YouTube writes them: <c>PT15M51S</c>, <c>PT1H2M</c>, <c>P1DT2H</c> (streams longer than a day),
/// <c>P0D</c> (live or upcoming). Weeks and days are fixed lengths; years and months are not, so they are refused.
/// </summary>
internal static partial class IsoDuration
{
    public static bool TryParseSeconds(string? text, out long seconds)
    {
        seconds = 0;
        if (string.IsNullOrEmpty(text))
            return false;
        var match = Pattern().Match(text);
        // "P" and "PT" alone name no duration.
        if (!match.Success || text is "P" || text.EndsWith('T'))
            return false;
        double total = 0;
        total += Part(match, "w") * 7 * 86_400;
        total += Part(match, "d") * 86_400;
        total += Part(match, "h") * 3_600;
        total += Part(match, "m") * 60;
        total += Part(match, "s");
        if (total > long.MaxValue / 2)
            return false;
        seconds = (long)Math.Floor(total);
        return true;
    }

    private static double Part(Match match, string name) =>
        match.Groups[name] is { Success: true } group ? double.Parse(group.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^P(?:(?<w>\d+)W)?(?:(?<d>\d+)D)?(?:T(?:(?<h>\d+)H)?(?:(?<m>\d+)M)?(?:(?<s>\d+(?:\.\d+)?)S)?)?$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
