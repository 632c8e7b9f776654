using Pacer.Emulators.Sheets;

namespace Pacer.Emulators.Tests.Sheets;

public sealed class A1RangeTests
{
    [Theory]
    [InlineData("Sheet1!A1:B2", "Sheet1", 0, 0, 2, 2)]
    [InlineData("Sheet1!A:A", "Sheet1", 0, 0, null, 1)]
    [InlineData("'My Sheet'!A5:A", "My Sheet", 4, 0, null, 1)]
    [InlineData("'It''s'!C3", "It's", 2, 2, 3, 3)]
    [InlineData("Sheet1!2:3", "Sheet1", 1, 0, 3, null)]
    [InlineData("Sheet1", "Sheet1", 0, 0, null, null)]
    [InlineData("'My Sheet'", "My Sheet", 0, 0, null, null)]
    [InlineData("A1:AA10", null, 0, 0, 10, 27)]
    [InlineData("Data!B2:D", "Data", 1, 1, null, 4)]
    public void TryParse_DocumentedForms_GiveZeroBasedExclusiveBounds(string text, string? sheet, int startRow, int startColumn, int? endRow, int? endColumn)
    {
        Assert.True(A1Range.TryParse(text, out var range));
        Assert.Equal(new A1Range(sheet, startRow, startColumn, endRow, endColumn), range);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Sheet1!")]
    [InlineData("'Open!A1")]
    [InlineData("Sheet1!B2:A1")]
    [InlineData("Sheet1!A0")]
    [InlineData("Sheet1!ABCD1")]
    public void TryParse_Nonsense_Fails(string text) => Assert.False(A1Range.TryParse(text, out _));

    [Theory]
    [InlineData("Sheet1", 0, 0, 1000, 26, "Sheet1!A1:Z1000")]
    [InlineData("My Sheet", 4, 0, 10, 3, "'My Sheet'!A5:C10")]
    [InlineData("Sheet1", 0, 0, 1, 1, "Sheet1!A1")]
    [InlineData("It's", 0, 26, 2, 28, "'It''s'!AA1:AB2")]
    [InlineData("A1", 0, 0, 1, 1, "'A1'!A1")]
    public void Format_QuotesTitlesThatNeedIt(string title, int startRow, int startColumn, int endRow, int endColumn, string expected) =>
        Assert.Equal(expected, A1Range.Format(title, startRow, startColumn, endRow, endColumn));
}
