using System.Globalization;

namespace Pacer.Sinks.Conformance;

/// <summary>The channel-sync video table of issue 5, and rows for it.</summary>
public static class Rows
{
    public static readonly TableSchema Videos = new(
    [
        new("video id"),
        new("title"),
        new("published at", ColumnKind.DateTime),
        new("duration seconds", ColumnKind.Integer),
        new("duration", ColumnKind.Text),
        new("views", ColumnKind.Integer),
        new("likes", ColumnKind.Integer),
        new("comments", ColumnKind.Integer),
        new("channel id"),
        new("channel title"),
        new("url", ColumnKind.Url),
        new("first seen at", ColumnKind.DateTime),
    ]);

    /// <summary>One column of every kind, for values that must come back as they went in.</summary>
    public static readonly TableSchema AllKinds = new(
    [
        new("key"),
        new("text"),
        new("integer", ColumnKind.Integer),
        new("number", ColumnKind.Number),
        new("date", ColumnKind.DateTime),
        new("url", ColumnKind.Url),
    ]);

    private static readonly DateTimeOffset Published = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    public static TableRow Video(string id, string? title = null, long views = 1000)
    {
        // Values derived from the id, the same in every run (string.GetHashCode is randomised per process).
        var n = id.Aggregate(17, (hash, c) => unchecked((hash * 31) + c)) & 0xFFFF;
        return new TableRow(id,
        [
            id,
            title ?? $"Video {id}",
            Published.AddMinutes(n),
            (long)(n % 3600),
            $"PT{n % 60}M{n % 60}S",
            views,
            n % 7 == 0 ? null : (long)n,
            (long)(n % 100),
            "UC" + (n % 10).ToString(CultureInfo.InvariantCulture),
            "Channel " + (n % 10).ToString(CultureInfo.InvariantCulture),
            "https://www.youtube.com/watch?v=" + id,
            new DateTimeOffset(2026, 11, 30, 12, 0, 0, 125, TimeSpan.Zero),
        ]);
    }

    public static TableRow[] Of(params string[] ids) => [.. ids.Select(id => Video(id))];

    public static TableRow[] Range(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => Video(prefix + i.ToString("D5", CultureInfo.InvariantCulture)))];
}
