using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using DocumentFormat.OpenXml.Validation;

namespace Pacer.Sinks.Tests.Xlsx;

public sealed class XlsxTableSinkTests : TableSinkContractTests
{
    private string WorkbookPath => Temp.File("videos.xlsx");

    private string StagingPath => WorkbookPath + ".pending.csv";

    protected override ITableSink CreateSink() => TableSinks.Xlsx(WorkbookPath);

    protected override bool DestinationExists() => File.Exists(WorkbookPath) || File.Exists(StagingPath);

    protected override string NameInMessages => "videos.xlsx";

    // Rows travel through the staging CSV, where an empty text and a missing value are the same field.
    protected override bool KeepsEmptyTextApartFromNull => false;

    protected override Task<ReadBack> ReadBackAsync(TableSchema schema) => Task.FromResult(Read(WorkbookPath, schema));

    /// <summary>Reads the workbook with the SDK's DOM, independently of the sink's own streaming reader.</summary>
    internal static ReadBack Read(string path, TableSchema schema)
    {
        using var document = SpreadsheetDocument.Open(path, isEditable: false);
        var rows = SheetRows(document);
        var header = rows[0].Elements<Cell>().Select(c => c.InnerText).ToList();
        var data = rows.Skip(1).Select(row =>
        {
            var values = new object?[schema.Columns.Count];
            foreach (var cell in row.Elements<Cell>())
            {
                var column = ColumnIndex(cell.CellReference!.Value!);
                values[column] = schema.Columns[column].Kind switch
                {
                    ColumnKind.Integer => long.Parse(cell.CellValue!.Text, CultureInfo.InvariantCulture),
                    ColumnKind.Number => double.Parse(cell.CellValue!.Text, CultureInfo.InvariantCulture),
                    ColumnKind.DateTime => new DateTimeOffset(DateTime.FromOADate(double.Parse(cell.CellValue!.Text, CultureInfo.InvariantCulture)), TimeSpan.Zero),
                    _ => cell.InlineString!.InnerText,
                };
            }
            return (IReadOnlyList<object?>)values;
        }).ToList();
        return new ReadBack(header, data);
    }

    [Fact]
    public async Task Complete_WritesAValidWorkbookWithBoldFrozenHeaderWidthsNumbersAndDates()
    {
        await RunAsync([Rows.Video("a", title: "A title that is rather longer than the others"), Rows.Video("b")]);

        using var document = SpreadsheetDocument.Open(WorkbookPath, isEditable: false);
        Assert.Empty(new OpenXmlValidator(FileFormatVersions.Office2019).Validate(document));
        var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet;
        var styles = document.WorkbookPart.WorkbookStylesPart!.Stylesheet;
        var formats = styles.CellFormats!.Elements<CellFormat>().ToList();
        var rows = SheetRows(document);

        Assert.Equal("videos", document.WorkbookPart.Workbook.Sheets!.Elements<Sheet>().Single().Name!.Value);
        var headerFont = styles.Fonts!.Elements<Font>().ElementAt((int)formats[(int)rows[0].Elements<Cell>().First().StyleIndex!.Value].FontId!.Value);
        Assert.NotNull(headerFont.Bold);
        var pane = sheet.Descendants<Pane>().Single();
        Assert.Equal(PaneStateValues.Frozen, pane.State!.Value);
        Assert.Equal(1.0, pane.VerticalSplit!.Value);

        var cells = rows[1].Elements<Cell>().ToDictionary(c => c.CellReference!.Value!);
        Assert.Equal(CellValues.InlineString, cells["A2"].DataType!.Value);
        Assert.Null(cells["C2"].DataType); // a number: the published date as Excel's serial number...
        var dateFormat = styles.NumberingFormats!.Elements<NumberingFormat>().Single(f => f.NumberFormatId!.Value == formats[(int)cells["C2"].StyleIndex!.Value].NumberFormatId!.Value);
        Assert.Equal("yyyy-mm-dd hh:mm:ss", dateFormat.FormatCode!.Value); // ...shown as a date
        Assert.Null(cells["F2"].DataType); // views: a number
        Assert.Equal("1000", cells["F2"].CellValue!.Text);

        var widths = sheet.Descendants<Column>().ToDictionary(c => (int)c.Min!.Value, c => c.Width!.Value);
        Assert.Equal(12, widths.Count);
        Assert.True(widths[2] > widths[1], "the title column is wider than the id column");
        Assert.True(widths[3] >= 19, "a date column fits yyyy-mm-dd hh:mm:ss");
    }

    [Fact]
    public async Task Write_PastTheSheetsRows_IsRefusedWhole_NothingStaged_AndTheWorkbookStaysOpenable()
    {
        // Excel's 1,048,576 rows, scaled down: a header and four rows fit.
        await using (var first = (XlsxTableSink)CreateSink())
        {
            first.MaxRows = 5;
            await first.OpenAsync(Rows.Videos, CancellationToken.None);
            await first.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
            await first.CompleteAsync(CancellationToken.None);
        }
        await using var sink = (XlsxTableSink)CreateSink();
        sink.MaxRows = 5;
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        var fits = await sink.WriteAsync(Rows.Of("b", "c"), CancellationToken.None); // "b" is there already
        var full = await Assert.ThrowsAsync<SinkFullException>(() => sink.WriteAsync(Rows.Of("d", "e"), CancellationToken.None));
        var last = await sink.WriteAsync(Rows.Of("d"), CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(new SinkWriteResult(1, 1), fits);
        Assert.Equal(new SinkWriteResult(1, 0), last);
        Assert.Equal("'videos.xlsx' is full: an Excel sheet holds 5 rows, the header's included, and this one would have 6. " +
            "Write the rows to a CSV file or a SQLite table, or to a new workbook.", full.Message.Replace(WorkbookPath, "videos.xlsx", StringComparison.Ordinal));
        Assert.Equal(["a", "b", "c", "d"], Read(WorkbookPath, Rows.Videos).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Write_StagesRowsDurablyAndTheWorkbookAppearsOnlyAtCompletion()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        await sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);

        Assert.True(File.Exists(StagingPath));
        Assert.False(File.Exists(WorkbookPath));
        Assert.Equal(["a", "b"], Csv.CsvTableSinkTests.Read(StagingPath, Rows.Videos).Rows.Select(r => (string)r[0]!));

        await sink.CompleteAsync(CancellationToken.None);

        Assert.True(File.Exists(WorkbookPath));
        Assert.False(File.Exists(StagingPath));
        Assert.False(File.Exists(WorkbookPath + ".tmp"));
    }

    [Fact]
    public async Task Open_StagingLeftBehindByACrash_MergesItsRowsAtTheNextCompletion()
    {
        await RunAsync(Rows.Of("a", "b"));
        await using (var crashed = CreateSink())
        {
            await crashed.OpenAsync(Rows.Videos, CancellationToken.None);
            await crashed.WriteAsync(Rows.Of("c"), CancellationToken.None);
        }
        Assert.True(File.Exists(StagingPath));

        await using var next = CreateSink();
        var keys = await next.OpenAsync(Rows.Videos, CancellationToken.None);
        var result = await next.WriteAsync(Rows.Of("c", "d"), CancellationToken.None);
        await next.CompleteAsync(CancellationToken.None);

        Assert.Equal(["a", "b", "c"], keys.Order(StringComparer.Ordinal));
        Assert.Equal(new SinkWriteResult(1, 1), result);
        Assert.Equal(["a", "b", "c", "d"], Read(WorkbookPath, Rows.Videos).Rows.Select(r => (string)r[0]!));
        Assert.False(File.Exists(StagingPath));
    }

    [Fact]
    public async Task Open_CrashAfterTheRenameBeforeTheStagingFileWasDeleted_MergesEachRowOnce()
    {
        var staged = Temp.File("staged-copy.csv");
        await using (var sink = CreateSink())
        {
            await sink.OpenAsync(Rows.Videos, CancellationToken.None);
            await sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
            File.Copy(StagingPath, staged);
            await sink.CompleteAsync(CancellationToken.None);
        }
        // The new workbook is in place and the staging file is still there: the crash came between the two steps.
        File.Copy(staged, StagingPath);

        await using var next = CreateSink();
        var keys = await next.OpenAsync(Rows.Videos, CancellationToken.None);
        await next.WriteAsync(Rows.Of("c"), CancellationToken.None);
        await next.CompleteAsync(CancellationToken.None);

        Assert.Equal(["a", "b"], keys.Order(StringComparer.Ordinal));
        Assert.Equal(["a", "b", "c"], Read(WorkbookPath, Rows.Videos).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Complete_NextRun_CopiesTheExistingRowsExactly()
    {
        var first = new TableRow("a", ["a", "text", long.MaxValue, 0.1 + 0.2, new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), "https://x.org"]);
        var second = new TableRow("b", ["b", null, -1L, -2.5, null, null]);
        foreach (var row in new[] { first, second })
        {
            await using var sink = CreateSink();
            await sink.OpenAsync(Rows.AllKinds, CancellationToken.None);
            await sink.WriteAsync([row], CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
        }

        var back = Read(WorkbookPath, Rows.AllKinds);

        Assert.Equal(first.Values, back.Rows[0]);
        Assert.Equal(second.Values, back.Rows[1]);
    }

    [Fact]
    public async Task Open_TemporaryWorkbookLeftByACrashDuringCompletion_IsDeletedAndTheWorkbookKept()
    {
        await RunAsync(Rows.Of("a"));
        await File.WriteAllTextAsync(WorkbookPath + ".tmp", "half a zip");

        await RunAsync(Rows.Of("b"));

        Assert.False(File.Exists(WorkbookPath + ".tmp"));
        Assert.Equal(["a", "b"], Read(WorkbookPath, Rows.Videos).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Open_WorkbookWithAnotherSheet_ThrowsRatherThanLoseIt()
    {
        CreateWorkbookByHand(WorkbookPath, ["video id", "title"], [["a", "t"]], extraSheet: "notes");

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));

        Assert.Contains("notes", error.Message, StringComparison.Ordinal);
        Assert.Contains(WorkbookPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_WorkbookSavedWithSharedStrings_ReadsTheKeysAndKeepsTheRows()
    {
        var schema = new TableSchema([new("video id"), new("title"), new("views", ColumnKind.Integer)]);
        // As Excel saves it: every string in the shared-string table.
        CreateWorkbookByHand(WorkbookPath, ["video id", "title", "views"], [["a", "Title a", 5L], ["b", "Title b", 7L]]);

        await using (var sink = CreateSink())
        {
            var keys = await sink.OpenAsync(schema, CancellationToken.None);
            Assert.Equal(["a", "b"], keys.Order(StringComparer.Ordinal));
            await sink.WriteAsync([new TableRow("b", ["b", "again", 1L]), new TableRow("c", ["c", "Title c", 9L])], CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
        }

        var back = Read(WorkbookPath, schema);
        Assert.Equal(["video id", "title", "views"], back.Header);
        Assert.Equal<object?>(["a", "Title a", 5L, "b", "Title b", 7L, "c", "Title c", 9L], back.Rows.SelectMany(r => r));
    }

    [Fact]
    public async Task Open_ValueOutsideTheTableColumns_ThrowsRatherThanLoseIt()
    {
        var schema = new TableSchema([new("video id"), new("title")]);
        CreateWorkbookByHand(WorkbookPath, ["video id", "title"], [["a", "t", "a note in column C"]]);

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(schema, CancellationToken.None));

        Assert.Contains("row 2, column C", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_FileThatIsNotAWorkbook_ThrowsSinkException()
    {
        await File.WriteAllTextAsync(WorkbookPath, "video id,title\r\n");

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));

        Assert.Contains(WorkbookPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Values_ControlCharactersAndEscapeLookalikes_RoundTripThroughTheWorkbook()
    {
        var schema = new TableSchema([new("key"), new("text")]);
        const string odd = "bell\u0007 tab\t nul-free _x0041_ and _x005F_ and \uFFFF end";

        await using (var sink = CreateSink())
        {
            await sink.OpenAsync(schema, CancellationToken.None);
            await sink.WriteAsync([new TableRow("k", ["k", odd])], CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
        }

        using (var document = SpreadsheetDocument.Open(WorkbookPath, isEditable: false))
            Assert.Empty(new OpenXmlValidator().Validate(document));
        using var reader = XlsxWorkbookReader.Open(WorkbookPath, "videos");
        var values = new object?[2];
        reader.ReadRow(values);
        reader.ReadRow(values);
        Assert.Equal(odd, values[1]);
    }

    [Fact]
    public void Options_InvalidSheetName_IsRejectedWhenTheSinkIsMade()
    {
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(
            () => TableSinks.Xlsx(WorkbookPath, new XlsxTableSinkOptions { SheetName = "a/b" }));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(
            () => TableSinks.Xlsx(WorkbookPath, new XlsxTableSinkOptions { SheetName = new string('x', 32) }));
    }

    internal static List<Row> SheetRows(SpreadsheetDocument document) =>
        [.. document.WorkbookPart!.WorksheetParts.Single().Worksheet.GetFirstChild<SheetData>()!.Elements<Row>()];

    private static int ColumnIndex(string reference) =>
        reference.TakeWhile(char.IsAsciiLetterUpper).Aggregate(0, (n, c) => (n * 26) + (c - 'A' + 1)) - 1;

    // A workbook made with the SDK's DOM, strings shared as Excel saves them.
    private static void CreateWorkbookByHand(string path, string[] header, object[][] rows, string? extraSheet = null)
    {
        using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
        var workbookPart = document.AddWorkbookPart();
        var strings = workbookPart.AddNewPart<SharedStringTablePart>();
        strings.SharedStringTable = new SharedStringTable();
        var sheets = new Sheets();
        workbookPart.Workbook = new Workbook(sheets);

        int Share(string text)
        {
            strings.SharedStringTable.AppendChild(new SharedStringItem(new Text(text)));
            return strings.SharedStringTable.ChildElements.Count - 1;
        }

        Cell MakeCell(string reference, object value) => value switch
        {
            string text => new Cell { CellReference = reference, DataType = CellValues.SharedString, CellValue = new CellValue(Share(text)) },
            long number => new Cell { CellReference = reference, CellValue = new CellValue(number.ToString(CultureInfo.InvariantCulture)) },
            _ => throw new ArgumentException("cell value", nameof(value)),
        };

        var sheetData = new SheetData();
        var all = new[] { header.Cast<object>().ToArray() }.Concat(rows).ToArray();
        for (var r = 0; r < all.Length; r++)
        {
            var row = new Row { RowIndex = (uint)(r + 1) };
            for (var c = 0; c < all[r].Length; c++)
                row.AppendChild(MakeCell(XlsxWorkbookWriter.ColumnLetters(c) + (r + 1).ToString(CultureInfo.InvariantCulture), all[r][c]));
            sheetData.AppendChild(row);
        }
        var sheetPart = workbookPart.AddNewPart<WorksheetPart>();
        sheetPart.Worksheet = new Worksheet(sheetData);
        sheets.AppendChild(new Sheet { Name = "videos", SheetId = 1U, Id = workbookPart.GetIdOfPart(sheetPart) });
        if (extraSheet is not null)
        {
            var notes = workbookPart.AddNewPart<WorksheetPart>();
            notes.Worksheet = new Worksheet(new SheetData());
            sheets.AppendChild(new Sheet { Name = extraSheet, SheetId = 2U, Id = workbookPart.GetIdOfPart(notes) });
        }
    }
}
