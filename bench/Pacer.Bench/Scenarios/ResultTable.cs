using System.Globalization;
using System.Text;

namespace Pacer.Bench.Scenarios;

/// <summary>
/// Every figure of a run, by case, metric and system; rendered with the median of the repetitions and, for each pair
/// compared, the ratio turned so that above 1 means the first of the pair did better.
/// </summary>
internal sealed class ResultTable(IReadOnlyList<string> systems, IReadOnlyList<(string Ours, string Theirs)> comparisons)
{
    private readonly List<Row> _rows = [];

    private sealed record Row(string Scenario, string Case, string Metric, string Unit, Better Better, Dictionary<string, List<double>> Values);

    public void Add(BenchCase benchCase, string system, IReadOnlyList<Figure> figures)
    {
        foreach (var figure in figures)
        {
            var row = _rows.FirstOrDefault(r => r.Scenario == benchCase.Scenario && r.Case == benchCase.Name && r.Metric == figure.Metric);
            if (row is null)
                _rows.Add(row = new Row(benchCase.Scenario, benchCase.Name, figure.Metric, figure.Unit, figure.Better, new(StringComparer.Ordinal)));
            if (!row.Values.TryGetValue(system, out var values))
                row.Values[system] = values = [];
            values.Add(figure.Value);
        }
    }

    /// <summary>The median of one row's repetitions (for checks against goals); null if the system has no figure.</summary>
    public double? Median(string scenario, string @case, string metric, string system) =>
        _rows.FirstOrDefault(r => r.Scenario == scenario && r.Case == @case && r.Metric == metric)?.Values.GetValueOrDefault(system) is { Count: > 0 } values
            ? Median(values)
            : null;

    public string ToText() => Render(markdown: false);

    public string ToMarkdown() => Render(markdown: true);

    private string Render(bool markdown)
    {
        var header = new List<string> { "scenario", "case", "metric" };
        header.AddRange(systems);
        header.AddRange(comparisons.Select(c => $"{c.Ours} vs {c.Theirs}"));
        var lines = new List<string[]> { header.ToArray() };
        foreach (var row in _rows)
        {
            var cells = new List<string> { row.Scenario, row.Case, $"{row.Metric} ({row.Unit})" };
            cells.AddRange(systems.Select(s => row.Values.TryGetValue(s, out var v) ? Format(Median(v), row.Unit) : "n/a"));
            foreach (var (us, peer) in comparisons)
            {
                if (!row.Values.TryGetValue(us, out var ours) || !row.Values.TryGetValue(peer, out var theirs))
                {
                    cells.Add("n/a");
                    continue;
                }
                var (a, b) = (Median(ours), Median(theirs));
                var ratio = row.Better == Better.Higher ? a / b : b / a;
                cells.Add(ratio.ToString(ratio < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "x");
            }
            lines.Add([.. cells]);
        }

        var widths = Enumerable.Range(0, header.Count).Select(i => lines.Max(l => l[i].Length)).ToArray();
        var text = new StringBuilder();
        for (var n = 0; n < lines.Count; n++)
        {
            // Text: names left, numbers right. Markdown: the same, and a separator under the header.
            var cells = lines[n].Select((cell, i) => i < 2 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
            text.AppendLine(markdown ? $"| {string.Join(" | ", cells)} |" : string.Join("  ", cells).TrimEnd());
            if (markdown && n == 0)
                text.AppendLine($"|{string.Join("|", widths.Select((w, i) => i < 2 ? new string('-', w + 2) : new string('-', w + 1) + ":"))}|");
        }
        return text.ToString();
    }

    private static string Format(double value, string unit) => unit == "ms"
        ? value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture)
        : value.ToString("N0", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
