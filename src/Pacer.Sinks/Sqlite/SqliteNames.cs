using System.Text;

namespace Pacer.Sinks;

/// <summary>How a table's column headers become SQL column names, and which table names are accepted.</summary>
internal static class SqliteNames
{
    public const string IdentifierPattern = "^[A-Za-z_][A-Za-z0-9_]{0,63}$";

    /// <summary>
    /// <c>video id</c> becomes <c>video_id</c>, <c>Duration (ISO)</c> becomes <c>duration_iso</c>: lower case letters and
    /// digits, other runs of characters as one underscore. Headers are for people; SQL users should not have to quote
    /// every column.
    /// </summary>
    public static string ColumnName(string header)
    {
        var name = new StringBuilder(header.Length);
        foreach (var c in header)
        {
            if (char.IsAsciiLetterOrDigit(c))
                name.Append(char.ToLowerInvariant(c));
            else if (name.Length > 0 && name[^1] != '_')
                name.Append('_');
        }
        while (name.Length > 0 && name[^1] == '_')
            name.Length--;
        if (name.Length == 0)
            name.Append("column");
        if (char.IsAsciiDigit(name[0]))
            name.Insert(0, "c_");
        return name.ToString();
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string SqlType(ColumnKind kind) => kind switch
    {
        ColumnKind.Integer => "INTEGER",
        ColumnKind.Number => "REAL",
        // ISO 8601 text: sorts in time order and is what SQLite's date functions read.
        _ => "TEXT",
    };
}
