using System.Text.RegularExpressions;

namespace Pacer;

/// <summary>Settings of the PostgreSQL store. Validated once, when the store is created.</summary>
public sealed partial class PostgresStoreOptions
{
    /// <summary>
    /// Where the database is: an Npgsql connection string (<c>Host=db;Database=app;Username=pacer</c>) or a URI
    /// (<c>postgres://pacer@db:5432/app?sslmode=require</c>). Keep the password out of it: give
    /// <c>Password File=/run/secrets/pacer-db</c> (a file holding only the password), or let Npgsql read
    /// <c>PGPASSWORD</c> or a <c>.pgpass</c> file. Required.
    /// </summary>
    public required string ConnectionString { get; set; }

    /// <summary>
    /// The schema that holds Pacer's tables, created by the first migration if missing. Lower-case letters, digits and
    /// underscores, starting with a letter or underscore, at most 63 characters. Default <c>pacer</c>. Give each
    /// application (or each test) its own schema to keep their jobs apart in one database.
    /// </summary>
    public string Schema { get; set; } = PostgresStoreDefaults.Schema;

    /// <summary>
    /// Whether enqueues notify other processes (<c>NOTIFY</c>) and the engine listens (<c>LISTEN</c>), so an idle worker
    /// anywhere picks up new work at once instead of at its next poll. Default true. Turn off behind a connection pooler
    /// in transaction mode (PgBouncer), where a session's <c>LISTEN</c> does not survive; workers then rely on polling.
    /// </summary>
    public bool ListenNotify { get; set; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting and the fix if any setting is invalid.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException(
                "PostgresStoreOptions.ConnectionString is empty: set it to e.g. \"Host=localhost;Database=app;Username=pacer\" " +
                "or \"postgres://pacer@localhost/app\".", nameof(ConnectionString));
        }
        // Parsing reports a malformed string here, at start, with the password masked.
        _ = PostgresConnectionString.Parse(ConnectionString);
        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            throw new ArgumentException(
                $"PostgresStoreOptions.Schema '{Schema}' is not a plain schema name: use lower-case letters, digits and underscores, " +
                "starting with a letter or underscore, at most 63 characters (default \"pacer\").", nameof(Schema));
        }
    }

    internal PostgresStoreOptions Clone() => new()
    {
        ConnectionString = ConnectionString,
        Schema = Schema,
        ListenNotify = ListenNotify,
    };

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}

internal static class PostgresStoreDefaults
{
    public const string Schema = "pacer";
}
