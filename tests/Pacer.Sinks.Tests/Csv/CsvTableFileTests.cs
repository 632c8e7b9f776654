using System.Text;

namespace Pacer.Sinks.Tests.Csv;

public sealed class CsvTableFileTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("a,b\r\n", 5)]
    [InlineData("a,b\r\nc,d\r\n", 10)]
    [InlineData("a,b\r\nc,d", 5)]
    [InlineData("a,b\r\nc,d\r", 5)]
    [InlineData("a,b\r\n\"c\nd\",e\r\n", 14)]
    [InlineData("a,b\r\n\"c\nd", 5)]
    [InlineData("a,b\r\n\"c \"\"q\"\"\n\",e\r\n", 19)]
    [InlineData("a,b\r\n\"c \"\"q\"\"\n", 5)]
    [InlineData("a,b\nc,d\n", 8)]
    public void FindEndOfLastRecord_StopsAfterTheLastLineFeedOutsideQuotes(string content, long expected)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content));

        Assert.Equal(expected, CsvTableFile.FindEndOfLastRecord(stream));
    }

    [Fact]
    public void FindEndOfLastRecord_AcrossBufferBoundaries_KeepsTheQuoteState()
    {
        // A quoted field with line breaks that spans several 64 KiB reads, then a torn record.
        var text = "k,t\r\nx,\"" + new string('a', 70_000) + "\n" + new string('b', 70_000) + "\"\r\n";
        var complete = Encoding.UTF8.GetByteCount(text);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text + "y,\"" + new string('c', 70_000) + "\n"));

        Assert.Equal(complete, CsvTableFile.FindEndOfLastRecord(stream));
    }
}
