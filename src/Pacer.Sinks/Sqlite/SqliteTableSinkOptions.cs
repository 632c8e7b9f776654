using System.ComponentModel.DataAnnotations;

namespace Pacer.Sinks;

/// <summary>Options of the SQLite table sink (<see cref="TableSinks.Sqlite"/>).</summary>
public sealed class SqliteTableSinkOptions
{
    /// <summary>
    /// The table the rows go to, created on the first write. Letters, digits and underscores, not starting with a digit.
    /// Default: <c>videos</c>.
    /// </summary>
    [Required]
    [RegularExpression(SqliteNames.IdentifierPattern, ErrorMessage = "The table name must be letters, digits and underscores, not starting with a digit.")]
    public string Table { get; set; } = "videos";
}
