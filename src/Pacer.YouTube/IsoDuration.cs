using System.Globalization;

namespace Pacer.YouTube;

/// <summary>
/// ISO 8601 durations as YouTube writes them: <c>PT15M51S</c>, <c>PT1H2M</c>, <c>P1DT2H</c> (streams longer than a day),
/// <c>P0D</c> (live or upcoming). Weeks and days are fixed lengths; years and months are not, so they are refused.
/// </summary>
/// <remarks>
/// The grammar is <c>P[nW][nD][T[nH][nM][n[.n]S]]</c> with at least one part and none twice or out of order. Read by hand
/// rather than by a regular expression: it runs once per video, and a match with its groups allocated more than the rest
/// of the video's row.
/// </remarks>
internal static class IsoDuration
{
    public static bool TryParseSeconds(string? text, out long seconds)
    {
        seconds = 0;
        // "P" and "PT" alone name no duration, and a "T" must be followed by a time part.
        if (string.IsNullOrEmpty(text) || text[0] != 'P' || text.Length == 1 || text[^1] == 'T')
            return false;
        var rest = text.AsSpan(1);
        var inTime = false;
        var lastRank = 0;
        double total = 0;
        while (!rest.IsEmpty)
        {
            if (rest[0] == 'T')
            {
                if (inTime)
                    return false;
                inTime = true;
                rest = rest[1..];
                continue;
            }
            var digits = CountDigits(rest);
            if (digits == 0)
                return false;
            var length = digits;
            if (length < rest.Length && rest[length] == '.')
            {
                var fraction = CountDigits(rest[(length + 1)..]);
                if (fraction == 0)
                    return false;
                length += 1 + fraction;
            }
            if (length >= rest.Length)
                return false; // a number without its designator
            var (rank, unitSeconds, timePart) = rest[length] switch
            {
                'W' => (1, 7 * 86_400, false),
                'D' => (2, 86_400, false),
                'H' => (3, 3_600, true),
                'M' => (4, 60, true),
                'S' => (5, 1, true),
                _ => (0, 0, false),
            };
            if (rank == 0 || timePart != inTime || rank <= lastRank || (length > digits && rest[length] != 'S'))
                return false;
            lastRank = rank;
            total += double.Parse(rest[..length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * unitSeconds;
            rest = rest[(length + 1)..];
        }
        if (total > long.MaxValue / 2)
            return false;
        seconds = (long)Math.Floor(total);
        return true;
    }

    private static int CountDigits(ReadOnlySpan<char> text)
    {
        var count = 0;
        while (count < text.Length && char.IsAsciiDigit(text[count]))
            count++;
        return count;
    }
}
