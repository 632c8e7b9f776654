using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace Pacer.Sinks;

/// <summary>
/// Streams a one-sheet workbook to a stream: the small parts first, then the rows as they come, so memory stays flat
/// however many rows there are.
/// </summary>
/// <remarks>
/// Why not <c>SpreadsheetDocument.Create</c>: System.IO.Packaging opens a new package in zip update mode, which holds
/// every part uncompressed in memory until the package is closed (dotnet/Open-XML-SDK#807, still so in 3.3, #1951): a
/// 260,000-row sheet would sit in memory whole. A zip archive in create mode streams each entry straight to the file,
/// so this class writes the package itself: the fixed parts (content types, relationships, the stylesheet) as literal
/// XML, the workbook and the rows through a plain <see cref="XmlWriter"/>, which measured about twice as fast as the
/// SDK's OpenXmlWriter per cell (3.1 million cells for 260,000 rows). The SDK's typed elements for the two small parts
/// cost a first sync more than they were worth: loading the SDK and what it brings (its assemblies alone 3.5 MB
/// resident, then the JIT's code for them) came at the end of the run, its memory peak. The tests validate every
/// workbook written with the SDK's validator. Why not MiniExcel: it streams too, but gives no say over the header
/// style, frozen pane, widths and date format we want, and its writing of dates and numbers is its own convention.
/// Strings are inline (<c>t="inlineStr"</c>), not in a shared-string table, which would have to hold every distinct
/// title in memory until the end; Excel converts them when it saves.
/// </remarks>
internal sealed class XlsxWorkbookWriter : IDisposable
{
    private const string MainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string RelationshipsNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string SheetPath = "xl/worksheets/sheet1.xml";

    // Cell formats (indices into cellXfs, as written by WriteStyles).
    private const string HeaderStyle = "1";
    private const string DateStyle = "2";
    private const string IntegerStyle = "3";

    private const string ContentTypes =
        """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>""" +
        """<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">""" +
        """<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>""" +
        """<Default Extension="xml" ContentType="application/xml"/>""" +
        """<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>""" +
        """<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>""" +
        """<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>""" +
        """</Types>""";

    private const string PackageRelationships =
        """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>""" +
        """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">""" +
        """<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>""" +
        """</Relationships>""";

    private const string WorkbookRelationships =
        """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>""" +
        """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">""" +
        """<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>""" +
        """<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>""" +
        """</Relationships>""";

    private static readonly XmlWriterSettings SheetSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        // A CR in a title is written as &#xD; so that reading the XML back does not turn CR LF into LF.
        NewLineHandling = NewLineHandling.Entitize,
        CloseOutput = false,
    };

    private readonly ZipArchive zip;
    private readonly Stream sheetStream;
    private readonly XmlWriter sheet;
    private readonly TableSchema schema;
    private readonly string[] columnLetters;
    private readonly char[] number = new char[32];
    private readonly char[] rowText = new char[10];
    private int rowNumber;
    private int rowTextLength;
    private bool completed;

    public XlsxWorkbookWriter(Stream output, TableSchema schema, string sheetName, IReadOnlyList<double> widths)
    {
        this.schema = schema;
        columnLetters = [.. Enumerable.Range(0, schema.Columns.Count).Select(ColumnLetters)];
        zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        WriteText("[Content_Types].xml", ContentTypes);
        WriteText("_rels/.rels", PackageRelationships);
        WriteText("xl/_rels/workbook.xml.rels", WorkbookRelationships);
        WriteWorkbook(sheetName);
        WriteText("xl/styles.xml", Styles);

        sheetStream = zip.CreateEntry(SheetPath, CompressionLevel.Optimal).Open();
        sheet = XmlWriter.Create(sheetStream, SheetSettings);
        sheet.WriteStartDocument(standalone: true);
        sheet.WriteStartElement("worksheet", MainNamespace);
        WriteFrozenHeaderView();
        WriteColumns(widths);
        sheet.WriteStartElement("sheetData", MainNamespace);
        WriteRowStart();
        for (var i = 0; i < schema.Columns.Count; i++)
            WriteText(i, schema.Columns[i].Name, HeaderStyle);
        sheet.WriteEndElement();
    }

    /// <summary>
    /// Writes a data row. Values are those of <see cref="TableRow"/> (string, long, double, DateTimeOffset or null), or an
    /// <see cref="XlsxNumber"/> read from an existing workbook, written as a number in its column's format (a date stays a date).
    /// </summary>
    public void WriteRow(ReadOnlySpan<object?> values)
    {
        WriteRowStart();
        for (var i = 0; i < values.Length; i++)
        {
            var kind = schema.Columns[i].Kind;
            switch (values[i])
            {
                case null:
                    break;
                case string text:
                    WriteText(i, text, style: null);
                    break;
                case long integer:
                    integer.TryFormat(number, out var length, default, CultureInfo.InvariantCulture);
                    WriteNumber(i, length, Style(kind));
                    break;
                case double real:
                    real.TryFormat(number, out length, "R", CultureInfo.InvariantCulture);
                    WriteNumber(i, length, Style(kind));
                    break;
                case XlsxNumber copied:
                    WriteNumber(i, copied.Text, Style(kind));
                    break;
                case DateTimeOffset date:
                    // Excel's serial date (days since 1899-12-30), to the millisecond, in UTC as every date here.
                    date.UtcDateTime.ToOADate().TryFormat(number, out length, "R", CultureInfo.InvariantCulture);
                    WriteNumber(i, length, DateStyle);
                    break;
                default:
                    throw new ArgumentException($"{values[i]!.GetType()} is not a cell value.", nameof(values));
            }
        }
        sheet.WriteEndElement();
    }

    /// <summary>Ends the sheet and writes the zip's directory; the output then holds a complete workbook.</summary>
    public void Complete()
    {
        sheet.WriteEndElement(); // sheetData
        sheet.WriteEndElement(); // worksheet
        sheet.WriteEndDocument();
        sheet.Dispose();
        sheetStream.Dispose();
        zip.Dispose();
        completed = true;
    }

    public void Dispose()
    {
        if (completed)
            return;
        // An abandoned workbook: release what is open; the caller deletes the half-written output.
        sheet.Dispose();
        sheetStream.Dispose();
        zip.Dispose();
    }

    internal static string ColumnLetters(int index)
    {
        var letters = "";
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
            letters = (char)('A' + ((n - 1) % 26)) + letters;
        return letters;
    }

    private static string? Style(ColumnKind kind) => kind switch
    {
        ColumnKind.Integer => IntegerStyle,
        ColumnKind.DateTime => DateStyle,
        _ => null,
    };

    // The row's number as text, formatted once per row; each cell's reference is its column's letters and this, written
    // from a buffer (a string per cell was a third of everything the completion of 255,000 rows allocated).
    private void WriteRowStart()
    {
        rowNumber++;
        rowNumber.TryFormat(rowText, out rowTextLength, default, CultureInfo.InvariantCulture);
        sheet.WriteStartElement("row", MainNamespace);
        sheet.WriteStartAttribute("r");
        sheet.WriteChars(rowText, 0, rowTextLength);
        sheet.WriteEndAttribute();
    }

    private void WriteCellStart(int column, string? style)
    {
        sheet.WriteStartElement("c", MainNamespace);
        sheet.WriteStartAttribute("r");
        sheet.WriteString(columnLetters[column]);
        sheet.WriteChars(rowText, 0, rowTextLength);
        sheet.WriteEndAttribute();
        if (style is not null)
            sheet.WriteAttributeString("s", style);
    }

    private void WriteNumber(int column, int length, string? style)
    {
        WriteCellStart(column, style);
        sheet.WriteStartElement("v", MainNamespace);
        sheet.WriteChars(number, 0, length);
        sheet.WriteEndElement();
        sheet.WriteEndElement();
    }

    private void WriteNumber(int column, string text, string? style)
    {
        WriteCellStart(column, style);
        sheet.WriteStartElement("v", MainNamespace);
        sheet.WriteString(text);
        sheet.WriteEndElement();
        sheet.WriteEndElement();
    }

    private void WriteText(int column, string text, string? style)
    {
        WriteCellStart(column, style);
        sheet.WriteAttributeString("t", "inlineStr");
        sheet.WriteStartElement("is", MainNamespace);
        sheet.WriteStartElement("t", MainNamespace);
        if (text.Length > 0 && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])))
            sheet.WriteAttributeString("xml", "space", null, "preserve");
        sheet.WriteString(XlsxText.Escape(text));
        sheet.WriteEndElement();
        sheet.WriteEndElement();
        sheet.WriteEndElement();
    }

    // The header row stays in view while scrolling.
    private void WriteFrozenHeaderView()
    {
        sheet.WriteStartElement("sheetViews", MainNamespace);
        sheet.WriteStartElement("sheetView", MainNamespace);
        sheet.WriteAttributeString("tabSelected", "1");
        sheet.WriteAttributeString("workbookViewId", "0");
        sheet.WriteStartElement("pane", MainNamespace);
        sheet.WriteAttributeString("ySplit", "1");
        sheet.WriteAttributeString("topLeftCell", "A2");
        sheet.WriteAttributeString("activePane", "bottomLeft");
        sheet.WriteAttributeString("state", "frozen");
        sheet.WriteEndElement();
        sheet.WriteStartElement("selection", MainNamespace);
        sheet.WriteAttributeString("pane", "bottomLeft");
        sheet.WriteEndElement();
        sheet.WriteEndElement();
        sheet.WriteEndElement();
    }

    private void WriteColumns(IReadOnlyList<double> widths)
    {
        sheet.WriteStartElement("cols", MainNamespace);
        for (var i = 0; i < widths.Count; i++)
        {
            var index = (i + 1).ToString(CultureInfo.InvariantCulture);
            sheet.WriteStartElement("col", MainNamespace);
            sheet.WriteAttributeString("min", index);
            sheet.WriteAttributeString("max", index);
            sheet.WriteAttributeString("width", widths[i].ToString("0.##", CultureInfo.InvariantCulture));
            sheet.WriteAttributeString("customWidth", "1");
            sheet.WriteEndElement();
        }
        sheet.WriteEndElement();
    }

    private void WriteText(string path, string xml)
    {
        using var stream = zip.CreateEntry(path, CompressionLevel.Optimal).Open();
        stream.Write(Encoding.UTF8.GetBytes(xml));
    }

    private void WriteWorkbook(string sheetName)
    {
        using var stream = zip.CreateEntry("xl/workbook.xml", CompressionLevel.Optimal).Open();
        using var workbook = XmlWriter.Create(stream, SheetSettings);
        workbook.WriteStartDocument(standalone: true);
        workbook.WriteStartElement("workbook", MainNamespace);
        workbook.WriteAttributeString("xmlns", "r", null, RelationshipsNamespace);
        workbook.WriteStartElement("sheets", MainNamespace);
        workbook.WriteStartElement("sheet", MainNamespace);
        workbook.WriteAttributeString("name", sheetName);
        workbook.WriteAttributeString("sheetId", "1");
        workbook.WriteAttributeString("id", RelationshipsNamespace, "rId1");
        workbook.WriteEndElement();
        workbook.WriteEndElement();
        workbook.WriteEndElement();
        workbook.WriteEndDocument();
    }

    // cellXfs: 0 default, 1 bold header, 2 date and time, 3 whole number without separators or exponent. The first two
    // fills are the ones every stylesheet starts with (Excel reserves them).
    private const string Styles =
        """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>""" +
        """<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">""" +
        """<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>""" +
        """<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>""" +
        """<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>""" +
        """<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>""" +
        """<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>""" +
        """<cellXfs count="4">""" +
        """<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>""" +
        """<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>""" +
        """<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>""" +
        """<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>""" +
        """</cellXfs>""" +
        """<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>""" +
        """</styleSheet>""";
}
