using System.Globalization;

namespace Pacer.Sinks;

/// <summary>
/// What a valid schema and row are, and the invariant text of a value: one place, so every destination agrees on what
/// it stores and a key written by one run reads back as the same text in the next.
/// </summary>
internal static class TableValues
{
    // ISO 8601 in UTC with only the fraction digits that are there: "2024-01-02T03:04:05Z", "...05.12Z".
    private const string DateFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'";

    public static void ValidateSchema(TableSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.Columns is null || schema.Columns.Count == 0)
            throw new ArgumentException("A table schema needs at least one column.", nameof(schema));
        if ((uint)schema.KeyColumn >= (uint)schema.Columns.Count)
            throw new ArgumentException($"The key column index {schema.KeyColumn} is outside the {schema.Columns.Count} columns.", nameof(schema));
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < schema.Columns.Count; i++)
        {
            var column = schema.Columns[i];
            if (column is null || string.IsNullOrWhiteSpace(column.Name))
                throw new ArgumentException($"Column {i} has no name.", nameof(schema));
            if (!Enum.IsDefined(column.Kind))
                throw new ArgumentException($"Column '{column.Name}' has an unknown kind {(int)column.Kind}.", nameof(schema));
            if (!names.Add(column.Name))
                throw new ArgumentException($"Column '{column.Name}' appears twice (names are compared ignoring case).", nameof(schema));
        }
        if (schema.Key.Kind is not (ColumnKind.Text or ColumnKind.Url or ColumnKind.Integer))
            throw new ArgumentException(
                $"The key column '{schema.Key.Name}' is {schema.Key.Kind}; a key must be Text, Url or Integer so it reads back as the same text.",
                nameof(schema));
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first row that does not fit <paramref name="schema"/>.</summary>
    public static void ValidateRows(TableSchema schema, IReadOnlyList<TableRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = schema.Columns;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i] ?? throw new ArgumentException($"rows[{i}] is null.", nameof(rows));
            if (string.IsNullOrEmpty(row.Key))
                throw new ArgumentException($"rows[{i}] has no key.", nameof(rows));
            if (row.Values is null || row.Values.Count != columns.Count)
                throw new ArgumentException(
                    $"rows[{i}] (key '{row.Key}') has {row.Values?.Count ?? 0} values; the table has {columns.Count} columns.", nameof(rows));
            for (var c = 0; c < columns.Count; c++)
            {
                if (!Fits(columns[c].Kind, row.Values[c]))
                    throw new ArgumentException(
                        $"rows[{i}] (key '{row.Key}'): column '{columns[c].Name}' is {columns[c].Kind} and cannot take {Describe(row.Values[c])}.",
                        nameof(rows));
            }
            var keyText = Format(row.Values[schema.KeyColumn]);
            if (!string.Equals(keyText, row.Key, StringComparison.Ordinal))
                throw new ArgumentException(
                    $"rows[{i}]: the key '{row.Key}' is not the text of its key column '{schema.Key.Name}' ('{keyText}').", nameof(rows));
        }
    }

    /// <summary>The invariant text of a valid value; null for null.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string text => text,
        long number => number.ToString(CultureInfo.InvariantCulture),
        // The shortest text that parses back to the same double.
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset date => FormatDate(date),
        _ => throw new ArgumentException($"{value.GetType()} is not a table value.", nameof(value)),
    };

    public static string FormatDate(DateTimeOffset date) => date.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes the text <see cref="Format"/> gives for a number or a date into <paramref name="destination"/>, without a
    /// string; false for anything else (text, null), and for a destination too short.
    /// </summary>
    public static bool TryFormatValue(object? value, Span<char> destination, out int written)
    {
        switch (value)
        {
            case long number:
                return number.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
            case double number:
                return number.TryFormat(destination, out written, "R", CultureInfo.InvariantCulture);
            case DateTimeOffset date:
                return date.UtcDateTime.TryFormat(destination, out written, DateFormat, CultureInfo.InvariantCulture);
            default:
                written = 0;
                return false;
        }
    }

    /// <summary>Reads back the text <see cref="Format"/> wrote for a column of <paramref name="kind"/>; empty text is null.</summary>
    /// <exception cref="FormatException">The text is not a value of that kind.</exception>
    public static object? Parse(ColumnKind kind, string text)
    {
        if (text.Length == 0)
            return null;
        return kind switch
        {
            ColumnKind.Integer => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture),
            ColumnKind.Number => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            ColumnKind.DateTime => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            _ => text,
        };
    }

    private static bool Fits(ColumnKind kind, object? value) => value switch
    {
        null => true,
        string => kind is ColumnKind.Text or ColumnKind.Url,
        long => kind is ColumnKind.Integer or ColumnKind.Number,
        double number => kind is ColumnKind.Number && double.IsFinite(number),
        DateTimeOffset => kind is ColumnKind.DateTime,
        _ => false,
    };

    private static string Describe(object? value) => value switch
    {
        double number when !double.IsFinite(number) => $"the non-finite double {number.ToString(CultureInfo.InvariantCulture)}",
        _ => $"a value of type {value!.GetType().Name}",
    };
}
