namespace Pacer.Sinks.Tests;

public sealed class TableValuesTests
{
    [Theory]
    [InlineData(0, "2024-01-02T03:04:05Z")]
    [InlineData(120, "2024-01-02T03:04:05.12Z")]
    public void FormatDate_IsIsoUtcWithOnlyTheFractionThatIsThere(int milliseconds, string expected)
    {
        var date = new DateTimeOffset(2024, 1, 2, 5, 4, 5, milliseconds, TimeSpan.FromHours(2));

        Assert.Equal(expected, TableValues.FormatDate(date));
    }

    public static TheoryData<object?> Values => new()
    {
        0L, long.MinValue, long.MaxValue, -42L, 0.1 + 0.2, 1e21, -0.0, double.Epsilon, double.MaxValue, -2.2250738585072014E-308,
        new DateTimeOffset(2024, 1, 2, 5, 4, 5, 120, TimeSpan.FromHours(2)),
        DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).AddTicks(1),
        "text", null,
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void TryFormatValue_WritesWhatFormatGives_ForNumbersAndDatesOnly(object? value)
    {
        Span<char> buffer = stackalloc char[64];

        var formatted = TableValues.TryFormatValue(value, buffer, out var written);

        Assert.Equal(value is long or double or DateTimeOffset, formatted);
        if (formatted)
            Assert.Equal(TableValues.Format(value), buffer[..written].ToString());
    }

    [Fact]
    public void Format_Doubles_AreTheShortestTextThatRoundTrips()
    {
        Assert.Equal("0.30000000000000004", TableValues.Format(0.1 + 0.2));
        Assert.Equal("1E+21", TableValues.Format(1e21));
        Assert.Equal(0.1 + 0.2, TableValues.Parse(ColumnKind.Number, TableValues.Format(0.1 + 0.2)!));
    }

    public static TheoryData<TableSchema, string> BadSchemas => new()
    {
        { new TableSchema([]), "at least one column" },
        { new TableSchema([new("a")], KeyColumn: 1), "outside the 1 columns" },
        { new TableSchema([new("a"), new("A")]), "'A' appears twice" },
        { new TableSchema([new("a"), new(" ")]), "Column 1 has no name" },
        { new TableSchema([new("when", ColumnKind.DateTime)]), "key must be Text, Url or Integer" },
        { new TableSchema([new("a", (ColumnKind)42)]), "unknown kind 42" },
    };

    [Theory]
    [MemberData(nameof(BadSchemas))]
    public void ValidateSchema_Bad_ThrowsNamingTheProblem(TableSchema schema, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => TableValues.ValidateSchema(schema));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRows_IntegerKey_MustBeItsInvariantText()
    {
        var schema = new TableSchema([new("id", ColumnKind.Integer), new("name")]);

        TableValues.ValidateRows(schema, [new TableRow("1234567", [1234567L, "x"])]);
        var error = Assert.Throws<ArgumentException>(() => TableValues.ValidateRows(schema, [new TableRow("1,234,567", [1234567L, "x"])]));

        Assert.Contains("is not the text of its key column 'id' ('1234567')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRows_WrongType_NamesRowColumnAndType()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TableValues.ValidateRows(Rows.Videos, [Rows.Video("a"), new TableRow("b", [.. Rows.Video("b").Values.Select((v, i) => i == 5 ? (object?)1000 : v)])]));

        Assert.Contains("rows[1] (key 'b'): column 'views' is Integer and cannot take a value of type Int32", error.Message, StringComparison.Ordinal);
    }
}
