using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pacer.Sinks;

/// <summary>Makes table sinks: CSV and XLSX files, SQLite tables, a batching wrapper, or any of them from a destination string.</summary>
public static class TableSinks
{
    private const string SqliteScheme = "sqlite";

    /// <summary>A CSV file: RFC 4180, UTF-8 with a byte order mark (for Excel), header on the first write, each batch flushed to disk.</summary>
    /// <param name="path">The file; its directory must exist.</param>
    /// <exception cref="SinkException">The directory does not exist.</exception>
    public static ITableSink Csv(string path, ILoggerFactory? loggerFactory = null)
    {
        var full = CheckFilePath(path, path);
        return new CsvTableSink(full, Logger<CsvTableSink>(loggerFactory));
    }

    /// <summary>
    /// An XLSX workbook with one sheet: rows are staged in <c>PATH.pending.csv</c> as they come and the workbook is
    /// (re)written at <see cref="ITableSink.CompleteAsync"/>, with a bold frozen header, column widths, numbers and dates.
    /// </summary>
    /// <param name="path">The workbook; its directory must exist.</param>
    /// <exception cref="SinkException">The directory does not exist.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><paramref name="options"/> are invalid.</exception>
    public static ITableSink Xlsx(string path, XlsxTableSinkOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        var valid = OptionsValidation.Validate(options ?? new XlsxTableSinkOptions());
        var full = CheckFilePath(path, path);
        return new XlsxTableSink(full, valid.SheetName, Logger<XlsxTableSink>(loggerFactory));
    }

    /// <summary>A table in a SQLite database (created on the first write), one transaction per write, the key column as primary key.</summary>
    /// <param name="path">The database file; its directory must exist.</param>
    /// <exception cref="SinkException">The directory does not exist.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><paramref name="options"/> are invalid.</exception>
    public static ITableSink Sqlite(string path, SqliteTableSinkOptions? options = null)
    {
        var valid = OptionsValidation.Validate(options ?? new SqliteTableSinkOptions());
        var full = CheckFilePath(path, path);
        return new SqliteTableSink(full, valid.Table);
    }

    /// <summary>
    /// Shares <paramref name="inner"/> between concurrent writers, writing their rows in batches (see
    /// <see cref="BatchingTableSinkOptions"/> for when). The returned sink owns <paramref name="inner"/> and disposes it.
    /// </summary>
    /// <param name="timeProvider">The clock of the flush delay. Default: <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><paramref name="options"/> are invalid.</exception>
    public static IBatchingTableSink Batching(
        ITableSink inner, BatchingTableSinkOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var valid = OptionsValidation.Validate(options ?? new BatchingTableSinkOptions());
        return new BatchingTableSink(inner, valid, timeProvider ?? TimeProvider.System, Logger<BatchingTableSink>(loggerFactory));
    }

    /// <summary>
    /// A sink for a destination as a user writes it: <c>out.csv</c>, <c>out.xlsx</c>, <c>sqlite:PATH</c> or
    /// <c>sqlite:PATH#table</c>, or <c>SCHEME:TARGET</c> for a scheme in <see cref="TableDestinationOptions.Schemes"/>.
    /// </summary>
    /// <exception cref="SinkException">The destination is not one of those forms or its directory does not exist; the message names the input and the accepted forms.</exception>
    public static ITableSink Create(string destination, TableDestinationOptions? options = null)
    {
        options ??= new TableDestinationOptions();
        if (string.IsNullOrWhiteSpace(destination))
            throw BadDestination(destination ?? "", "it is empty", options);

        if (SplitScheme(destination) is var (scheme, target))
        {
            if (scheme.Equals(SqliteScheme, StringComparison.OrdinalIgnoreCase))
                return CreateSqlite(destination, target, options);
            if (options.Schemes.TryGetValue(scheme, out var factory))
                return factory(target);
            throw BadDestination(destination, $"unknown scheme '{scheme}:'", options);
        }

        var extension = Path.GetExtension(destination);
        if (extension.Equals(".csv", StringComparison.OrdinalIgnoreCase))
            return new CsvTableSink(CheckFilePath(destination, destination, options), Logger<CsvTableSink>(options.LoggerFactory));
        if (extension.Equals(".xlsx", StringComparison.OrdinalIgnoreCase))
        {
            var xlsx = OptionsValidation.Validate(options.Xlsx);
            return new XlsxTableSink(CheckFilePath(destination, destination, options), xlsx.SheetName, Logger<XlsxTableSink>(options.LoggerFactory));
        }
        throw BadDestination(destination, extension.Length == 0 ? "the file has no extension" : $"unknown file type '{extension}'", options);
    }

    /// <summary>
    /// The destination with its local file made absolute against the current directory: <c>out.csv</c> becomes
    /// <c>/home/me/out.csv</c>, <c>sqlite:data.db#videos</c> becomes <c>sqlite:/home/me/data.db#videos</c>; other schemes
    /// and absolute paths come back as they are. A destination stored in a job is opened by whichever worker runs it, in
    /// that worker's current directory: store it absolute, or a worker started elsewhere writes another file.
    /// </summary>
    /// <exception cref="SinkException">The path is not a valid path.</exception>
    public static string Absolute(string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        if (SplitScheme(destination) is not var (scheme, target))
            return FullPath(destination, destination);
        if (!scheme.Equals(SqliteScheme, StringComparison.OrdinalIgnoreCase))
            return destination;
        var (path, table) = SplitTable(target);
        return string.IsNullOrWhiteSpace(path) ? destination : $"{scheme}:{FullPath(destination, path)}{(table is null ? "" : "#" + table)}";
    }

    /// <summary><c>SCHEME:TARGET</c>, or null for a path. A scheme is two characters or more, so a Windows drive (<c>C:\data\out.csv</c>) is a path.</summary>
    private static (string Scheme, string Target)? SplitScheme(string destination)
    {
        var colon = destination.IndexOf(':', StringComparison.Ordinal);
        return colon > 1 && IsScheme(destination.AsSpan(0, colon)) ? (destination[..colon], destination[(colon + 1)..]) : null;
    }

    /// <summary>A <c>sqlite:</c> target: <c>PATH#table</c>, or <c>PATH</c> (table null).</summary>
    private static (string Path, string? Table) SplitTable(string target)
    {
        var hash = target.LastIndexOf('#');
        return hash >= 0 ? (target[..hash], target[(hash + 1)..]) : (target, null);
    }

    private static string FullPath(string destination, string path, TableDestinationOptions? options = null)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw BadDestination(destination, $"'{path}' is not a valid path ({e.Message})", options);
        }
    }

    private static SqliteTableSink CreateSqlite(string destination, string target, TableDestinationOptions options)
    {
        var configured = OptionsValidation.Validate(options.Sqlite).Table;
        var (path, named) = SplitTable(target);
        var table = named ?? configured;
        if (named is not null && !System.Text.RegularExpressions.Regex.IsMatch(named, SqliteNames.IdentifierPattern))
            throw BadDestination(destination, $"the table name '{named}' is not letters, digits and underscores", options);
        if (string.IsNullOrWhiteSpace(path))
            throw BadDestination(destination, "'sqlite:' needs a database path", options);
        return new SqliteTableSink(CheckFilePath(destination, path, options), table);
    }

    private static bool IsScheme(ReadOnlySpan<char> text)
    {
        if (!char.IsAsciiLetter(text[0]))
            return false;
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
                return false;
        }
        return true;
    }

    // The full path of a file whose directory exists. A missing directory is most likely a typo, so it is not created.
    private static string CheckFilePath(string destination, string path, TableDestinationOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = FullPath(destination, path, options);
        if (Directory.Exists(full))
            throw BadDestination(destination, $"'{path}' is a directory", options);
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
            throw BadDestination(destination, $"the directory '{directory}' does not exist", options);
        return full;
    }

    private static SinkException BadDestination(string destination, string problem, TableDestinationOptions? options)
    {
        var accepted = new List<string> { "PATH.csv", "PATH.xlsx", "sqlite:PATH[#table]" };
        if (options is not null)
            accepted.AddRange(options.Schemes.Keys.Order(StringComparer.OrdinalIgnoreCase).Select(s => s + ":..."));
        return new SinkException($"Destination '{destination}': {problem}. Accepted: {string.Join(", ", accepted)}.");
    }

    private static ILogger Logger<T>(ILoggerFactory? factory) =>
        factory?.CreateLogger<T>() ?? NullLogger<T>.Instance;
}
