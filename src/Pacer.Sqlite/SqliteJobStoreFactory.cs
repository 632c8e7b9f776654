using Pacer.Sqlite;
using Pacer.Storage;

namespace Pacer;

/// <summary>Opens a SQLite store without dependency injection (for the CLI, tools and tests).</summary>
public static class SqliteJobStoreFactory
{
    /// <summary>
    /// Opens the store on <see cref="SqliteStoreOptions.Path"/>, creating the file if it is missing. The schema is not
    /// created here: call <see cref="IJobStore.MigrateAsync"/> before use (the engine does when it starts).
    /// Dispose the store to close its connections.
    /// </summary>
    /// <param name="options">Validated here and copied: later changes to it have no effect.</param>
    /// <param name="time">Clock for bookkeeping such as when a migration was applied. Default: the system clock.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it and the fix.</exception>
    /// <exception cref="InvalidOperationException">The file cannot be used (not a SQLite database, not writable, on a network file system).</exception>
    /// <exception cref="DirectoryNotFoundException">The file's directory does not exist.</exception>
    public static IJobStore Create(SqliteStoreOptions options, TimeProvider? time = null) =>
        SqliteJobStore.Open(options, time ?? TimeProvider.System);
}
