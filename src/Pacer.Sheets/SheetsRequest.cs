namespace Pacer.Sheets;

/// <summary>
/// One request of a <c>spreadsheets.batchUpdate</c>, made by the factory methods: the kinds a table sink uses. Rows and
/// columns count from 0; ends are exclusive, as in Sheets' <c>GridRange</c>.
/// </summary>
public sealed class SheetsRequest
{
    private SheetsRequest(string kind, RequestBody body)
    {
        Kind = kind;
        Body = body;
    }

    /// <summary>The request's kind as Sheets names it: <c>addSheet</c>, <c>repeatCell</c>, ...</summary>
    public string Kind { get; }

    internal RequestBody Body { get; }

    /// <summary>Adds a tab (<c>addSheet</c>). A title already taken (in any case) fails the whole batch with a 400.</summary>
    public static SheetsRequest AddSheet(string title, int? rowCount = null, int? columnCount = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        if (rowCount is < 1 || columnCount is < 1)
            throw new ArgumentOutOfRangeException(rowCount is < 1 ? nameof(rowCount) : nameof(columnCount), "A tab has at least one row and one column.");
        var grid = rowCount is null && columnCount is null ? null : new GridPropertiesInput(rowCount, columnCount, null);
        return new("addSheet", new RequestBody { AddSheet = new AddSheetRequest(new SheetPropertiesInput(null, title, grid)) });
    }

    /// <summary>Makes the first <paramref name="columnCount"/> cells of row <paramref name="row"/> bold (<c>repeatCell</c>, only the bold field).</summary>
    public static SheetsRequest BoldRow(int sheetId, int row, int columnCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfLessThan(columnCount, 1);
        return new("repeatCell", new RequestBody
        {
            RepeatCell = new RepeatCellRequest(
                new GridRange(sheetId, row, row + 1, 0, columnCount),
                new CellData(new CellFormat(null, new TextFormat(true))),
                "userEnteredFormat.textFormat.bold"),
        });
    }

    /// <summary>Freezes the first <paramref name="rows"/> rows (<c>updateSheetProperties</c> of <c>gridProperties.frozenRowCount</c>).</summary>
    public static SheetsRequest FreezeRows(int sheetId, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        return new("updateSheetProperties", new RequestBody
        {
            UpdateSheetProperties = new UpdateSheetPropertiesRequest(
                new SheetPropertiesInput(sheetId, null, new GridPropertiesInput(null, null, rows)),
                "gridProperties.frozenRowCount"),
        });
    }

    /// <summary>
    /// Gives cells of column <paramref name="column"/> from row <paramref name="fromRow"/> down a light green background
    /// when their number is above <paramref name="threshold"/> (<c>addConditionalFormatRule</c>, <c>NUMBER_GREATER</c>, first rule).
    /// </summary>
    public static SheetsRequest HighlightAbove(int sheetId, int column, double threshold, int fromRow = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfNegative(fromRow);
        if (!double.IsFinite(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite number.");
        return new("addConditionalFormatRule", new RequestBody
        {
            AddConditionalFormatRule = new AddConditionalFormatRuleRequest(
                new ConditionalFormatRule(
                    [new GridRange(sheetId, fromRow, null, column, column + 1)],
                    new BooleanRule(
                        new BooleanCondition("NUMBER_GREATER", [new ConditionValue(threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture))]),
                        new CellFormat(new Color(0.72, 0.88, 0.72), null))),
                0),
        });
    }

    public override string ToString() => Kind;
}
