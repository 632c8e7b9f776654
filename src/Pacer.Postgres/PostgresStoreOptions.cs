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
    /// application (or each test) its own schema to keep their jobs apart in one database. A <c>Schema=</c> key in the
    /// connection string (<c>?schema=</c> in a URI) sets it too, e.g. for the CLI's <c>--db</c>.
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
        _ = PostgresConnectionString.Parse(ConnectionString, out var named);
        if (named is not null && Schema != PostgresStoreDefaults.Schema && named != Schema)
        {
            throw new ArgumentException(
                $"The connection string names the schema '{named}' but PostgresStoreOptions.Schema is '{Schema}': give it in one place.", nameof(Schema));
        }
        if (EffectiveSchema is not { } schema || !SchemaName().IsMatch(schema))
        {
            throw new ArgumentException(
                $"PostgresStoreOptions.Schema '{EffectiveSchema}' is not a plain schema name: use lower-case letters, digits and underscores, " +
                "starting with a letter or underscore, at most 63 characters (default \"pacer\").", nameof(Schema));
        }
    }

    /// <summary>The schema in use: <see cref="Schema"/>, or the connection string's <c>Schema</c> key when Schema keeps its default.</summary>
    internal string? EffectiveSchema
    {
        get
        {
            if (Schema != PostgresStoreDefaults.Schema)
                return Schema;
            PostgresConnectionString.Parse(ConnectionString, out var named);
            return named ?? Schema;
        }
    }

    internal PostgresStoreOptions Clone() => new()
    {
        ConnectionString = ConnectionString,
        Schema = EffectiveSchema!,
        ListenNotify = ListenNotify,
    };

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}

internal static class PostgresStoreDefaults
{
    public const string Schema = "pacer";
}
