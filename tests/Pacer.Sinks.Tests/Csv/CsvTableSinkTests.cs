using System.Globalization;
using System.Text;
using CsvHelper;

namespace Pacer.Sinks.Tests.Csv;

public sealed class CsvTableSinkTests : TableSinkContractTests
{
    private const string Header = "video id,title,published at,duration seconds,duration,views,likes,comments,channel id,channel title,url,first seen at";

    private string FilePath => Temp.File("videos.csv");

    protected override ITableSink CreateSink() => TableSinks.Csv(FilePath);

    protected override bool DestinationExists() => File.Exists(FilePath);

    protected override string NameInMessages => "videos.csv";

    protected override bool KeepsEmptyTextApartFromNull => false;

    protected override Task<ReadBack> ReadBackAsync(TableSchema schema) => Task.FromResult(Read(FilePath, schema));

    internal static ReadBack Read(string path, TableSchema schema)
    {
        using var reader = CsvReader.Create(File.OpenRead(path), CsvReaderOptions.Default with { Separator = ',', HasHeader = false }, leaveOpen: false);
        Assert.True(reader.Read(), "no header");
        var header = Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToList();
        var rows = new List<IReadOnlyList<object?>>();
        while (reader.Read())
            rows.Add([.. schema.Columns.Select((c, i) => Typed(c.Kind, reader.GetString(i)))]);
        return new ReadBack(header, rows);
    }

    [Fact]
    public async Task Write_NewFile_StartsWithByteOrderMarkAndHeaderAndEndsRecordsWithCrlf()
    {
        await RunAsync(Rows.Of("a"));
        await RunAsync(Rows.Of("b"));

        var bytes = await File.ReadAllBytesAsync(FilePath);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes.AsSpan(3));
        Assert.StartsWith(Header + "\r\n", text, StringComparison.Ordinal);
        Assert.Equal(1, Count(text, "video id"));
        Assert.Equal(1, Count(Encoding.UTF8.GetString(bytes), "\uFEFF"));
        Assert.Equal(3, Count(text, "\r\n"));
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_TextThatNeedsQuotes_IsQuotedPerRfc4180AndDatesAreIsoUtc()
    {
        var row = Rows.Video("q", title: "Say \"hi\", then\nleave");

        await RunAsync([row]);

        var text = await File.ReadAllTextAsync(FilePath);
        Assert.Contains("q,\"Say \"\"hi\"\", then\nleave\",", text, StringComparison.Ordinal);
        Assert.Contains(",2026-11-30T12:00:00.125Z\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_TornLastRecord_CutsItOffAndItsKeyIsNotKnown()
    {
        await RunAsync(Rows.Of("a", "b"));
        var complete = new FileInfo(FilePath).Length;
        await File.AppendAllTextAsync(FilePath, "c,Video c,2024-05-06T07:");

        await using var sink = CreateSink();
        var keys = await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        Assert.Equal(["a", "b"], keys.Order(StringComparer.Ordinal));
        Assert.Equal(complete, new FileInfo(FilePath).Length);
        Assert.Equal(new SinkWriteResult(1, 1), await sink.WriteAsync(Rows.Of("c", "a"), CancellationToken.None));
        await sink.CompleteAsync(CancellationToken.None);
        Assert.Equal(["a", "b", "c"], Read(FilePath, Rows.Videos).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Open_TornRecordEndingInsideAQuotedLineBreak_CutsItOff()
    {
        await RunAsync(Rows.Of("a"));
        var complete = new FileInfo(FilePath).Length;
        // The line feed inside the quotes is part of the title, not the end of the record.
        await File.AppendAllTextAsync(FilePath, "b,\"first line\n");

        await using var sink = CreateSink();
        var keys = await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        Assert.Equal(["a"], keys);
        Assert.Equal(complete, new FileInfo(FilePath).Length);
    }

    [Fact]
    public async Task Open_TornBetweenCarriageReturnAndLineFeed_CutsTheRecordOff()
    {
        await RunAsync(Rows.Of("a"));
        var complete = new FileInfo(FilePath).Length;
        var row = string.Join(",", Rows.Video("b").Values.Select(v => v is DateTimeOffset d ? d.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture)));
        await File.AppendAllTextAsync(FilePath, row + "\r");

        await using var sink = CreateSink();
        var keys = await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        Assert.Equal(["a"], keys);
        Assert.Equal(complete, new FileInfo(FilePath).Length);
    }

    [Fact]
    public async Task Open_TornHeader_StartsTheFileOver()
    {
        await File.WriteAllBytesAsync(FilePath, [0xEF, 0xBB, 0xBF, .. "video id,tit"u8]);

        await using (var sink = CreateSink())
        {
            Assert.Empty(await sink.OpenAsync(Rows.Videos, CancellationToken.None));
            await sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
        }

        var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(FilePath));
        Assert.StartsWith("\uFEFF" + Header + "\r\n" + "a,", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_ToAFileWrittenByHandWithoutByteOrderMark_AppendsWithoutAddingOne()
    {
        await File.WriteAllTextAsync(FilePath, Header + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

        await RunAsync(Rows.Of("a"));

        var bytes = await File.ReadAllBytesAsync(FilePath);
        Assert.Equal((byte)'v', bytes[0]);
        Assert.Equal(["a"], Read(FilePath, Rows.Videos).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Open_OtherHeader_NamesTheFileAndTheExpectedAndFoundHeaders()
    {
        await File.WriteAllTextAsync(FilePath, "id,name\r\n1,x\r\n");

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));

        Assert.Contains(FilePath, error.Message, StringComparison.Ordinal);
        Assert.Contains("expected header " + Header, error.Message, StringComparison.Ordinal);
        Assert.Contains("found id,name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_MalformedRecordInTheMiddle_ThrowsSinkException()
    {
        await RunAsync(Rows.Of("a"));
        await File.AppendAllTextAsync(FilePath, "b,\"broken\"quote,x\r\n");
        await RunAsyncIgnoringOpen();

        async Task RunAsyncIgnoringOpen()
        {
            await using var sink = CreateSink();
            var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));
            Assert.Contains(FilePath, error.Message, StringComparison.Ordinal);
            Assert.IsType<CsvFormatException>(error.InnerException);
        }
    }

    [Fact]
    public async Task Write_FileChangedBySomethingElse_ThrowsInsteadOfCorruptingIt()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        await sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        await File.AppendAllTextAsync(FilePath, "x,someone else\r\n");

        var error = await Assert.ThrowsAsync<SinkException>(() => sink.WriteAsync(Rows.Of("b"), CancellationToken.None));

        Assert.Contains("changed while the sink had it open", error.Message, StringComparison.Ordinal);
    }

    private static object? Typed(ColumnKind kind, string text) => text.Length == 0 ? null : kind switch
    {
        ColumnKind.Integer => long.Parse(text, CultureInfo.InvariantCulture),
        ColumnKind.Number => double.Parse(text, CultureInfo.InvariantCulture),
        ColumnKind.DateTime => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        _ => text,
    };

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
