using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pacer.Cli;

/// <summary>The three ways a command prints: JSON, a rich table on a terminal, plain aligned columns otherwise.</summary>
internal static class Output
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        // Output is read by programs and people, not embedded in HTML: keep '<', '+' and non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task WriteJsonAsync<T>(CliConsole console, T value) =>
        await console.Out.WriteLineAsync(JsonSerializer.Serialize(value, Json));

    public static async Task WriteLineAsync(CliConsole console, string line) => await console.Out.WriteLineAsync(line);

    /// <summary>A table; cells are plain text, never parsed as markup.</summary>
    public static async Task WriteTableAsync(CliConsole console, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        if (console.IsRich)
        {
            var table = new Table().RoundedBorder();
            foreach (var header in headers)
                table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
            foreach (var row in rows)
                table.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
            console.Ansi.Write(table);
            return;
        }
        var widths = headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        await console.Out.WriteLineAsync(Pad(headers, widths));
        foreach (var row in rows)
            await console.Out.WriteLineAsync(Pad(row, widths));
    }

    private static string Pad(IReadOnlyList<string> cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
                line.Append("  ");
            line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i]));
        }
        return line.ToString().TrimEnd();
    }

    public static string Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"1 job", "2 jobs", "1,000 jobs": a count and a noun that takes a plain "s".</summary>
    public static string Count(long value, string noun) => $"{Number(value)} {noun}{(value == 1 ? "" : "s")}";

    /// <summary>Text for a table cell: one line, at most <paramref name="max"/> characters.</summary>
    public static string Shorten(string text, int max)
    {
        var line = PacerCli.OneLine(text);
        return line.Length <= max ? line : string.Concat(line.AsSpan(0, max - 1), "…");
    }
}
