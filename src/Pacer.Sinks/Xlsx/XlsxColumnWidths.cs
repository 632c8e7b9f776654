using CsvHelper;

namespace Pacer.Sinks;

/// <summary>
/// Column widths for the workbook, in Excel's character units. Measured from the header and every row staged (this run's
/// and any left by an earlier one); the widths of the existing workbook, which were measured the same way when it was
/// written (or set by hand since), are a floor. So the sheet never has to be read twice to size its columns.
/// </summary>
internal sealed class XlsxColumnWidths
{
    private const int MaxCharacters = 60;
    private const int Padding = 2;
    // "yyyy-mm-dd hh:mm:ss", the date format of the workbook.
    private const int DateCharacters = 19;

    private readonly TableSchema schema;
    private readonly double[] widths;

    public XlsxColumnWidths(TableSchema schema)
    {
        this.schema = schema;
        widths = new double[schema.Columns.Count];
        for (var i = 0; i < widths.Length; i++)
            widths[i] = Width(schema.Columns[i].Kind == ColumnKind.DateTime ? Math.Max(DateCharacters, schema.Columns[i].Name.Length) : schema.Columns[i].Name.Length);
    }

    public IReadOnlyList<double> Widths => widths;

    public void AtLeast(int column, double width)
    {
        if ((uint)column < (uint)widths.Length && double.IsFinite(width))
            widths[column] = Math.Max(widths[column], Math.Min(width, MaxCharacters + Padding));
    }

    public void Measure(TableRow row)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            if (schema.Columns[i].Kind != ColumnKind.DateTime && TableValues.Format(row.Values[i]) is { } text)
                AtLeast(i, Width(text.Length));
        }
    }

    public void Measure(CsvReader record)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            if (schema.Columns[i].Kind != ColumnKind.DateTime)
                AtLeast(i, Width(record.GetString(i).Length));
        }
    }

    private static double Width(int characters) => Math.Min(characters, MaxCharacters) + Padding;
}
