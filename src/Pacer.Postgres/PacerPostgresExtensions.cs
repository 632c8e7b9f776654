using Microsoft.Extensions.DependencyInjection;

namespace Pacer;

/// <summary>Registers the PostgreSQL store on a Pacer builder.</summary>
public static class PacerPostgresExtensions
{
    /// <summary>
    /// Stores jobs in PostgreSQL, in the schema <see cref="PostgresStoreOptions.Schema"/> (default <c>pacer</c>, created by
    /// the first migration). Any number of processes on any number of machines may share it. Options are validated here, once.
    /// </summary>
    /// <param name="connectionString">Npgsql key=value pairs or a postgres:// URI; see <see cref="PostgresStoreOptions.ConnectionString"/>.</param>
    /// <param name="configure">Changes the other <see cref="PostgresStoreOptions"/> (schema, LISTEN/NOTIFY).</param>
    public static PacerBuilder UsePostgres(this PacerBuilder builder, string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PostgresStoreOptions { ConnectionString = connectionString };
        configure?.Invoke(options);
        options.Validate();
        var snapshot = options.Clone();
        return builder.UseStore(services => PostgresJobStoreFactory.Create(snapshot, services.GetService<TimeProvider>()));
    }
}
