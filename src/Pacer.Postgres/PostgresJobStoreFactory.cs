using Pacer.Postgres;
using Pacer.Storage;

namespace Pacer;

/// <summary>Opens a PostgreSQL store without dependency injection (for the CLI, tools and tests).</summary>
public static class PostgresJobStoreFactory
{
    /// <summary>
    /// Opens the store. No connection is made here: the first operation connects. The schema is not created here
    /// either: call <see cref="IJobStore.MigrateAsync"/> before use (the engine does when it starts). Dispose the store to
    /// close its connection pool.
    /// </summary>
    /// <param name="options">Validated here and copied: later changes to it have no effect.</param>
    /// <param name="time">Clock for bookkeeping such as when a migration was applied. Default: the system clock.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it and the fix (and never shows the password).</exception>
    public static IJobStore Create(PostgresStoreOptions options, TimeProvider? time = null) =>
        PostgresJobStore.Open(options, time ?? TimeProvider.System);
}
