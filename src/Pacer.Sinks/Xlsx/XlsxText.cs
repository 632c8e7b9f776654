using System.Globalization;
using System.Text;

namespace Pacer.Sinks;

/// <summary>
/// Cell text as SpreadsheetML stores it. XML 1.0 cannot hold most control characters or lone surrogates, so Office
/// writes them as <c>_xHHHH_</c> (ECMA-376 ST_Xstring); a literal <c>_xHHHH_</c> in the text then has its underscore
/// written as <c>_x005F_</c>. Escaping keeps any title, however odd, round-tripping instead of failing the workbook.
/// </summary>
internal static class XlsxText
{
    public static string Escape(string text)
    {
        if (!NeedsEscape(text))
            return text;
        var escaped = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsEscapeSequence(text, i))
                escaped.Append("_x005F_");
            else if (!IsXmlChar(text, i))
                escaped.Append("_x").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('_');
            else if (char.IsHighSurrogate(c))
                escaped.Append(c).Append(text[++i]);
            else
                escaped.Append(c);
        }
        return escaped.ToString();
    }

    public static string Unescape(string text)
    {
        if (!text.Contains("_x", StringComparison.Ordinal))
            return text;
        var plain = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (IsEscapeSequence(text, i))
            {
                plain.Append((char)int.Parse(text.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 6;
            }
            else
            {
                plain.Append(text[i]);
            }
        }
        return plain.ToString();
    }

    private static bool NeedsEscape(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsXmlChar(text, i) || IsEscapeSequence(text, i))
                return true;
            if (char.IsHighSurrogate(text[i]))
                i++;
        }
        return false;
    }

    // _xHHHH_ at index i.
    private static bool IsEscapeSequence(string text, int i) =>
        i + 6 < text.Length && text[i] == '_' && text[i + 1] == 'x' && text[i + 6] == '_'
        && char.IsAsciiHexDigit(text[i + 2]) && char.IsAsciiHexDigit(text[i + 3])
        && char.IsAsciiHexDigit(text[i + 4]) && char.IsAsciiHexDigit(text[i + 5]);

    // Tab, LF and CR are allowed (CR is written as a character reference so it is not normalised away); a surrogate
    // only as part of a pair.
    private static bool IsXmlChar(string text, int i)
    {
        var c = text[i];
        if (char.IsHighSurrogate(c))
            return i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
        if (char.IsLowSurrogate(c))
            return false;
        return c is '\t' or '\n' or '\r' || (c >= 0x20 && c != '\uFFFE' && c != '\uFFFF');
    }
}
