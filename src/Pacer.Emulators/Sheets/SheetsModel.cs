using System.Globalization;

namespace Pacer.Emulators.Sheets;

/// <summary>A formula entered with USER_ENTERED. Stored and returned as its text: the emulator does not calculate.</summary>
internal sealed record Formula(string Text);

/// <summary>One tab: its properties and its cells (rows of string, double, bool or <see cref="Formula"/>; null is empty).</summary>
internal sealed class Sheet
{
    public required int SheetId { get; init; }

    public required string Title { get; set; }

    public int RowCount { get; set; }

    public int ColumnCount { get; set; }

    public int FrozenRowCount { get; set; }

    public int FrozenColumnCount { get; set; }

    public List<List<object?>> Rows { get; init; } = [];

    public long CellCount => (long)RowCount * ColumnCount;

    /// <summary>A copy of the properties sharing the cells, for all-or-nothing batch updates (they never change cells).</summary>
    public Sheet CloneProperties() => new()
    {
        SheetId = SheetId,
        Title = Title,
        RowCount = RowCount,
        ColumnCount = ColumnCount,
        FrozenRowCount = FrozenRowCount,
        FrozenColumnCount = FrozenColumnCount,
        Rows = Rows,
    };

    public object? Get(int row, int column) =>
        row < Rows.Count && column < Rows[row].Count ? Rows[row][column] : null;

    public void Set(int row, int column, object? value)
    {
        while (Rows.Count <= row)
            Rows.Add([]);
        var cells = Rows[row];
        while (cells.Count <= column)
            cells.Add(null);
        cells[column] = value;
    }

    /// <summary>Inserts empty rows before <paramref name="row"/>, moving everything below down (INSERT_ROWS).</summary>
    public void InsertRows(int row, int count)
    {
        if (row < Rows.Count)
            Rows.InsertRange(row, Enumerable.Range(0, count).Select(_ => new List<object?>()));
        RowCount += count;
    }

    /// <summary>The last row at or after <paramref name="fromRow"/> with a value in the given columns, or -1.</summary>
    public int LastRowWithData(int fromRow, int startColumn, int? endColumn)
    {
        for (var row = Rows.Count - 1; row >= fromRow; row--)
        {
            var cells = Rows[row];
            for (var column = startColumn; column < Math.Min(cells.Count, endColumn ?? int.MaxValue); column++)
            {
                if (cells[column] is not null)
                    return row;
            }
        }
        return -1;
    }

    /// <summary>One past the last column with a value in the given rows, at least <paramref name="startColumn"/>.</summary>
    public int EndColumnWithData(int startRow, int endRow, int startColumn, int? endColumn)
    {
        var end = startColumn;
        for (var row = startRow; row < Math.Min(endRow, Rows.Count); row++)
        {
            var cells = Rows[row];
            for (var column = Math.Min(cells.Count, endColumn ?? int.MaxValue) - 1; column >= Math.Max(startColumn, end); column--)
            {
                if (cells[column] is not null)
                {
                    end = column + 1;
                    break;
                }
            }
        }
        return end;
    }
}

/// <summary>A spreadsheet: its tabs, the formatting requests it recorded, and the lock its changes take.</summary>
internal sealed class Spreadsheet(string id, string title)
{
    public string Id { get; } = id;

    public string Title { get; } = title;

    public Lock Gate { get; } = new();

    public List<Sheet> Sheets { get; set; } = [];

    public List<(string Kind, string Json)> Recorded { get; set; } = [];

    public Sheet? Find(string title) => Sheets.Find(s => string.Equals(s.Title, title, StringComparison.OrdinalIgnoreCase));

    public long CellCount => Sheets.Sum(s => s.CellCount);

    /// <summary>
    /// Who may read and write it (see <see cref="SheetsApi.PrincipalOf"/>); null for anyone with a valid credential.
    /// Under <see cref="Gate"/>.
    /// </summary>
    public HashSet<string>? SharedWith { get; set; }
}

/// <summary>How a cell value is typed in and shown, as Sheets does it (without number formats or calculation).</summary>
internal static class CellValues
{
    /// <summary>
    /// RAW keeps strings as strings; USER_ENTERED reads numbers, TRUE/FALSE and formulas from strings, and a leading
    /// apostrophe forces text. Null means "leave the cell as it is"; an empty string clears it.
    /// </summary>
    public static bool TryRead(System.Text.Json.JsonElement value, bool userEntered, out object? cell, out bool skip)
    {
        skip = false;
        cell = null;
        switch (value.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Null:
                skip = true;
                return true;
            case System.Text.Json.JsonValueKind.Number:
                cell = value.GetDouble();
                return true;
            case System.Text.Json.JsonValueKind.True:
            case System.Text.Json.JsonValueKind.False:
                cell = value.GetBoolean();
                return true;
            case System.Text.Json.JsonValueKind.String:
                var text = value.GetString()!;
                cell = text.Length == 0 ? null : userEntered ? Entered(text) : text;
                return true;
            default:
                return false;
        }
    }

    private static object Entered(string text)
    {
        if (text.StartsWith('\''))
            return text[1..];
        if (text.StartsWith('='))
            return new Formula(text);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return number;
        if (bool.TryParse(text, out var flag))
            return flag;
        return text;
    }

    /// <summary>FORMATTED_VALUE: everything as text.</summary>
    public static string Formatted(object? cell) => cell switch
    {
        null => "",
        string text => text,
        double number => number.ToString("0.###############", CultureInfo.InvariantCulture),
        bool flag => flag ? "TRUE" : "FALSE",
        Formula formula => formula.Text,
        _ => cell.ToString() ?? "",
    };

    /// <summary>UNFORMATTED_VALUE and FORMULA: numbers and booleans keep their JSON type.</summary>
    public static object Unformatted(object? cell) => cell switch
    {
        null => "",
        Formula formula => formula.Text,
        _ => cell,
    };
}
