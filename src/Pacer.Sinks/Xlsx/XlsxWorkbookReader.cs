using System.Globalization;
using System.Text;
using System.Xml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Pacer.Sinks;

/// <summary>
/// Reads the rows of a workbook's only sheet one at a time: the SDK finds the parts (whatever wrote the file, Excel
/// included), and a plain <see cref="XmlReader"/> streams the sheet, which is many times faster than loading each cell
/// as an SDK element. Cells come back as the text or the number they hold.
/// </summary>
internal sealed class XlsxWorkbookReader : IDisposable
{
    private readonly string path;
    private readonly SpreadsheetDocument document;
    private readonly Stream sheetStream;
    private readonly XmlReader sheet;
    // Excel moves every string into the shared-string table when it saves; a file only we wrote has none.
    private readonly List<string> sharedStrings;
    private readonly StringBuilder text = new();

    private XlsxWorkbookReader(string path, SpreadsheetDocument document, Stream sheetStream, List<string> sharedStrings)
    {
        this.path = path;
        this.document = document;
        this.sheetStream = sheetStream;
        this.sharedStrings = sharedStrings;
        sheet = XmlReader.Create(sheetStream, new XmlReaderSettings { IgnoreComments = true, IgnoreProcessingInstructions = true });
    }

    /// <summary>The row number (1-based, as the sheet says) of the row last read.</summary>
    public int RowNumber { get; private set; }

    /// <summary>Widths from the sheet's <c>cols</c>, by column index, as they are read (they come before the rows).</summary>
    public Dictionary<int, double> ColumnWidths { get; } = [];

    /// <exception cref="SinkException">The file is not a workbook, or does not have exactly one sheet named <paramref name="sheetName"/>.</exception>
    public static XlsxWorkbookReader Open(string path, string sheetName)
    {
        SpreadsheetDocument? document = null;
        try
        {
            document = SpreadsheetDocument.Open(path, isEditable: false);
            var workbookPart = document.WorkbookPart ?? throw new SinkException($"'{path}' is not a workbook (it has no workbook part).");
            var sheets = workbookPart.Workbook.Sheets?.Elements<Sheet>().ToList() ?? [];
            // The sink rewrites the whole file at completion: another sheet would be lost, so it is not ours to touch.
            if (sheets.Count != 1 || sheets[0].Name?.Value != sheetName)
            {
                throw new SinkException(
                    $"'{path}' has the sheets ({string.Join(", ", sheets.Select(s => s.Name?.Value))}); this sink writes a workbook with the " +
                    $"one sheet '{sheetName}', and rewrites it at completion. Write to another file, or move this one away.");
            }
            var sheetPart = (WorksheetPart)workbookPart.GetPartById(sheets[0].Id!.Value!);
            var shared = ReadSharedStrings(workbookPart.SharedStringTablePart);
            var reader = new XlsxWorkbookReader(path, document, sheetPart.GetStream(FileMode.Open, FileAccess.Read), shared);
            document = null;
            return reader;
        }
        catch (Exception e) when (e is OpenXmlPackageException or FileFormatException or InvalidDataException or XmlException or InvalidCastException
            or IOException or UnauthorizedAccessException)
        {
            throw new SinkException($"'{path}' cannot be read as an XLSX workbook: {e.Message}", e);
        }
        finally
        {
            document?.Dispose();
        }
    }

    /// <summary>
    /// Reads the next row into <paramref name="values"/> (cleared first): a string, an <see cref="XlsxNumber"/>, or null
    /// for an empty cell. With <paramref name="onlyColumn"/>, the other cells are passed over unread (reading 260,000
    /// keys back took about a fifth less CPU), though still checked to lie within the table.
    /// </summary>
    /// <returns>False at the end of the sheet.</returns>
    /// <exception cref="SinkException">The row has a value outside the table's columns, or the sheet is damaged.</exception>
    public bool ReadRow(object?[] values, int onlyColumn = -1)
    {
        Array.Clear(values);
        try
        {
            while (sheet.Read())
            {
                if (sheet.NodeType != XmlNodeType.Element)
                    continue;
                if (sheet.LocalName == "col")
                {
                    ReadColumnWidth();
                }
                else if (sheet.LocalName == "row")
                {
                    RowNumber = int.TryParse(sheet.GetAttribute("r"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : RowNumber + 1;
                    if (!sheet.IsEmptyElement)
                        ReadCells(values, onlyColumn);
                    return true;
                }
            }
            return false;
        }
        catch (XmlException e)
        {
            throw new SinkException($"'{path}' has a damaged sheet ({e.Message}).", e);
        }
    }

    public void Dispose()
    {
        sheet.Dispose();
        sheetStream.Dispose();
        document.Dispose();
    }

    // The reader is on <row>; leaves it on </row>.
    private void ReadCells(object?[] values, int onlyColumn)
    {
        var next = 0;
        sheet.Read();
        while (!(sheet.NodeType == XmlNodeType.EndElement && sheet.LocalName == "row") && !sheet.EOF)
        {
            if (sheet.NodeType != XmlNodeType.Element || sheet.LocalName != "c")
            {
                sheet.Read();
                continue;
            }
            var reference = sheet.GetAttribute("r");
            var column = reference is null ? next : ColumnIndex(reference);
            next = column + 1;
            object? value;
            if (onlyColumn >= 0 && column != onlyColumn)
            {
                // An empty element is a cell with a style and no value (Excel writes those); anything else counts.
                value = sheet.IsEmptyElement ? null : "";
                sheet.Skip(); // moves to the node after the cell itself
            }
            else
            {
                value = ReadCell();
                sheet.Read();
            }
            if (value is null)
                continue;
            if (column >= values.Length)
            {
                throw new SinkException(
                    $"'{path}' has a value in row {RowNumber}, column {XlsxWorkbookWriter.ColumnLetters(column)}, outside the table's " +
                    $"{values.Length} columns; this sink rewrites the workbook at completion and would lose it. Move the value or the file.");
            }
            if (onlyColumn < 0 || column == onlyColumn)
                values[column] = value;
        }
    }

    // The reader is on <c>; returns its value and leaves the reader on </c> (or on <c/> when it is empty).
    private object? ReadCell()
    {
        var type = sheet.GetAttribute("t");
        if (sheet.IsEmptyElement)
            return null;
        string? v = null;
        text.Clear();
        var inline = false;
        sheet.Read();
        while (!(sheet.NodeType == XmlNodeType.EndElement && sheet.LocalName == "c"))
        {
            if (sheet.NodeType == XmlNodeType.Element && sheet.LocalName == "v")
            {
                v = sheet.ReadElementContentAsString();
                continue;
            }
            if (sheet.NodeType == XmlNodeType.Element && sheet.LocalName == "t")
            {
                inline = true;
                text.Append(sheet.ReadElementContentAsString());
                continue;
            }
            if (sheet.NodeType == XmlNodeType.Element && sheet.LocalName == "rPh")
            {
                sheet.Skip(); // phonetic hints of East Asian text are not part of its value
                continue;
            }
            sheet.Read();
        }
        return type switch
        {
            "inlineStr" => inline ? XlsxText.Unescape(text.ToString()) : null,
            "s" => v is null ? null : sharedStrings[int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture)],
            "str" or "e" or "d" => v is null ? null : XlsxText.Unescape(v),
            "b" => v is null ? null : v == "1" ? "TRUE" : "FALSE",
            _ => v is null ? null : new XlsxNumber(v),
        };
    }

    private void ReadColumnWidth()
    {
        if (int.TryParse(sheet.GetAttribute("min"), NumberStyles.None, CultureInfo.InvariantCulture, out var min)
            && int.TryParse(sheet.GetAttribute("max"), NumberStyles.None, CultureInfo.InvariantCulture, out var max)
            && double.TryParse(sheet.GetAttribute("width"), NumberStyles.Float, CultureInfo.InvariantCulture, out var width))
        {
            // A range may cover the whole sheet (max 16384); only the table's columns matter, the writer asks for those.
            for (var i = min; i <= Math.Min(max, min + 1024); i++)
                ColumnWidths[i - 1] = width;
        }
    }

    // "AB12" -> 27.
    private static int ColumnIndex(string reference)
    {
        var index = 0;
        foreach (var c in reference)
        {
            if (c is < 'A' or > 'Z')
                break;
            index = (index * 26) + (c - 'A' + 1);
        }
        return index - 1;
    }

    private static List<string> ReadSharedStrings(SharedStringTablePart? part)
    {
        var strings = new List<string>();
        if (part is null)
            return strings;
        using var stream = part.GetStream(FileMode.Open, FileAccess.Read);
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { IgnoreComments = true });
        var item = new StringBuilder();
        var inItem = false;
        reader.Read();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "si")
            {
                item.Clear();
                inItem = !reader.IsEmptyElement;
                if (!inItem)
                    strings.Add("");
            }
            else if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "si")
            {
                strings.Add(XlsxText.Unescape(item.ToString()));
                inItem = false;
            }
            else if (inItem && reader.NodeType == XmlNodeType.Element && reader.LocalName == "rPh")
            {
                reader.Skip(); // phonetic hints, not part of the value; Skip moves to the next node itself
                continue;
            }
            else if (inItem && reader.NodeType == XmlNodeType.Element && reader.LocalName == "t")
            {
                item.Append(reader.ReadElementContentAsString()); // moves past </t> itself
                continue;
            }
            reader.Read();
        }
        return strings;
    }
}

/// <summary>
/// A number cell's text as the file has it, so copying a workbook's rows into the next one never rounds a value through
/// a double (a 64-bit integer beyond 2^53 stays exact) and costs no parsing.
/// </summary>
internal readonly record struct XlsxNumber(string Text);
