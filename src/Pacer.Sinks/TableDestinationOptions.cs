namespace Pacer.Sinks;

/// <summary>How <see cref="TableSinks.Create"/> turns destination strings into sinks.</summary>
public sealed class TableDestinationOptions
{
    /// <summary>Options for <c>.xlsx</c> destinations.</summary>
    public XlsxTableSinkOptions Xlsx { get; set; } = new();

    /// <summary>Options for <c>sqlite:</c> destinations; a <c>#table</c> in the destination overrides the table.</summary>
    public SqliteTableSinkOptions Sqlite { get; set; } = new();

    /// <summary>Where the sinks log (repairs after a crash, staged rows merged). Default: nowhere.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Destinations of other schemes, by scheme (without the colon, compared ignoring case), for packages this one cannot
    /// depend on: <c>Schemes["sheets"] = target =&gt; ...</c> makes <c>sheets:ID/Tab</c> a destination, and its factory
    /// gets <c>ID/Tab</c>. A factory throws <see cref="SinkException"/> for a target it cannot use.
    /// </summary>
    public IDictionary<string, Func<string, ITableSink>> Schemes { get; } = new Dictionary<string, Func<string, ITableSink>>(StringComparer.OrdinalIgnoreCase);
}
