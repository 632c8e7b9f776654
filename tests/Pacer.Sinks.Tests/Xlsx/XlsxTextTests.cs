namespace Pacer.Sinks.Tests.Xlsx;

public sealed class XlsxTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\u0001b", "a_x0001_b")]
    [InlineData("tab\tnewline\ncr\r", "tab\tnewline\ncr\r")]
    [InlineData("_x0041_", "_x005F_x0041_")]
    [InlineData("_x004", "_x004")]
    [InlineData("\uFFFE", "_xFFFE_")]
    [InlineData("emoji 😀", "emoji 😀")]
    public void Escape_WritesWhatXmlCannotHoldAsEscapes(string text, string expected)
    {
        Assert.Equal(expected, XlsxText.Escape(text));
        Assert.Equal(text, XlsxText.Unescape(expected));
    }

    [Fact]
    public void Escape_LoneSurrogate_RoundTrips()
    {
        var text = "a\uD800b";

        var escaped = XlsxText.Escape(text);

        Assert.Equal("a_xD800_b", escaped);
        Assert.Equal(text, XlsxText.Unescape(escaped));
    }
}
