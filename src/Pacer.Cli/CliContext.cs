namespace Pacer.Cli;

/// <summary>What every command gets: where to write, which database and configuration, and the test hooks.</summary>
internal sealed record CliContext(CliConsole Console, string DatabasePath, bool Verbose, CliOverrides? Overrides)
{
    /// <summary>The <c>--config</c> file, layered over the embedded defaults; null for none.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Whether <c>--db</c> was on the command line, rather than its default.</summary>
    public bool DatabaseGiven { get; init; }

    /// <summary>Whether <c>--db</c> is a PostgreSQL connection string rather than a SQLite file.</summary>
    public bool IsPostgres => DatabaseFile.IsPostgres(DatabasePath);

    /// <summary><c>--db</c> as it may be printed: a connection string with its password masked, or the file path.</summary>
    public string DatabaseDisplay => IsPostgres ? PostgresConnectionString.MaskPassword(DatabasePath) : DatabasePath;

    /// <summary>Masks the connection string's password in a message about to be printed.</summary>
    public string Scrub(string message) => IsPostgres ? PostgresConnectionString.MaskPasswordIn(message, DatabasePath) : message;

    public CliHostSettings HostSettings() => new(DatabasePath) { ConfigFile = ConfigFile, Overrides = Overrides };
}
