using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Pacer.Emulators.Sheets;

/// <summary>
/// A range in A1 notation: <c>Sheet1!A1:B2</c>, <c>Sheet1!A:A</c>, <c>'My Sheet'!A5:A</c>, <c>Sheet1!2:3</c>, <c>Sheet1</c>,
/// or without a sheet (<c>A1:B2</c>, meaning the first sheet). Rows and columns are 0-based; ends are exclusive, and
/// null where the range is open (to the end of the grid).
/// </summary>
internal sealed record A1Range(string? SheetTitle, int StartRow, int StartColumn, int? EndRow, int? EndColumn)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out A1Range? range)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        string? sheet = null;
        string cells;
        if (text.StartsWith('\''))
        {
            // 'It''s here'!A1: a doubled quote is a quote.
            var title = new StringBuilder();
            var i = 1;
            for (; i < text.Length; i++)
            {
                if (text[i] != '\'')
                {
                    title.Append(text[i]);
                    continue;
                }
                if (i + 1 < text.Length && text[i + 1] == '\'')
                {
                    title.Append('\'');
                    i++;
                    continue;
                }
                break;
            }
            if (i >= text.Length)
                return false;
            sheet = title.ToString();
            var rest = text[(i + 1)..];
            if (rest.Length == 0)
            {
                range = new A1Range(sheet, 0, 0, null, null);
                return true;
            }
            if (rest[0] != '!')
                return false;
            cells = rest[1..];
        }
        else
        {
            var bang = text.LastIndexOf('!');
            if (bang < 0)
            {
                // No sheet: either cells of the first sheet or a whole sheet by title; the caller decides.
                if (TryParseCells(text, out var bare))
                {
                    range = bare;
                    return true;
                }
                range = new A1Range(text, 0, 0, null, null);
                return true;
            }
            sheet = text[..bang];
            cells = text[(bang + 1)..];
        }
        if (sheet.Length == 0 || !TryParseCells(cells, out var parsed))
            return false;
        range = parsed with { SheetTitle = sheet };
        return true;
    }

    /// <summary>The range as the API writes it back: quoted title when needed, ends clipped to the grid.</summary>
    public static string Format(string sheetTitle, int startRow, int startColumn, int endRow, int endColumn)
    {
        var start = Column(startColumn) + (startRow + 1).ToString(CultureInfo.InvariantCulture);
        var end = Column(endColumn - 1) + endRow.ToString(CultureInfo.InvariantCulture);
        var cells = endRow - startRow == 1 && endColumn - startColumn == 1 ? start : $"{start}:{end}";
        return $"{QuoteTitle(sheetTitle)}!{cells}";
    }

    public static string QuoteTitle(string title)
    {
        var plain = title.Length > 0 && (char.IsAsciiLetter(title[0]) || title[0] == '_')
            && title.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            && !TryParseCells(title, out _);
        return plain ? title : "'" + title.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    public static string Column(int index)
    {
        var name = new StringBuilder();
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
            name.Insert(0, (char)('A' + (n - 1) % 26));
        return name.ToString();
    }

    private static bool TryParseCells(string text, [NotNullWhen(true)] out A1Range? range)
    {
        range = null;
        var parts = text.Split(':');
        if (parts.Length is < 1 or > 2 || !TryParseCell(parts[0], out var startColumn, out var startRow))
            return false;
        if (parts.Length == 1)
        {
            // A1 is one cell; a bare column or row is all of it.
            range = new A1Range(null, startRow ?? 0, startColumn ?? 0, startRow + 1, startColumn + 1);
            return true;
        }
        if (!TryParseCell(parts[1], out var endColumn, out var endRow))
            return false;
        // A column-only start (A:B, A:B5) starts at row 1; a row-only end (1:2) runs to the last column.
        var first = new A1Range(null, startRow ?? 0, startColumn ?? 0, endRow + 1, endColumn + 1);
        if (first.EndRow <= first.StartRow || first.EndColumn <= first.StartColumn)
            return false;
        range = first;
        return true;
    }

    private static bool TryParseCell(string text, out int? column, out int? row)
    {
        column = null;
        row = null;
        var i = 0;
        var letters = 0;
        var value = 0;
        while (i < text.Length && char.IsAsciiLetter(text[i]))
        {
            value = value * 26 + (char.ToUpperInvariant(text[i]) - 'A' + 1);
            i++;
            letters++;
            if (letters > 3)
                return false;
        }
        if (letters > 0)
            column = value - 1;
        if (i < text.Length)
        {
            if (!int.TryParse(text.AsSpan(i), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
                return false;
            row = number - 1;
        }
        return column is not null || row is not null;
    }
}
