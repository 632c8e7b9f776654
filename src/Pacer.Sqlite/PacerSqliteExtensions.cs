using Microsoft.Extensions.DependencyInjection;

namespace Pacer;

/// <summary>Registers the SQLite store on a Pacer builder.</summary>
public static class PacerSqliteExtensions
{
    /// <summary>
    /// Stores jobs in the SQLite file at <paramref name="path"/> (created if missing; its directory must exist).
    /// Several processes on one machine may share the file. Options are validated here, once.
    /// </summary>
    /// <param name="path">Database file, e.g. <c>pacer.db</c>.</param>
    /// <param name="configure">Changes the other <see cref="SqliteStoreOptions"/> (durability, busy timeout).</param>
    public static PacerBuilder UseSqlite(this PacerBuilder builder, string path, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SqliteStoreOptions { Path = path };
        configure?.Invoke(options);
        options.Validate();
        var snapshot = options.Clone();
        return builder.UseStore(services => SqliteJobStoreFactory.Create(snapshot, services.GetService<TimeProvider>()));
    }
}
