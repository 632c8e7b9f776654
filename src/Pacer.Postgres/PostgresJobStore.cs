using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Pacer.Storage;
using static Pacer.Postgres.PostgresRows;

namespace Pacer.Postgres;

/// <summary>
/// The job store on a PostgreSQL database, shared by any number of processes on any number of machines. Every
/// operation borrows a connection from Npgsql's pool for one transaction (READ COMMITTED) and gives it back.
/// Claims use <c>FOR UPDATE SKIP LOCKED</c>, so fetchers never wait on each other; every UPDATE repeats its guard
/// (state, lease token) in its own WHERE, which PostgreSQL re-checks on the newest row version after waiting for a lock,
/// so two writers can never both act on the same job. Admission and resource updates serialise per resource with
/// transaction-level advisory locks taken in one global order.
/// </summary>
internal sealed partial class PostgresJobStore : IJobStore, IJobStoreNotifications
{
    // Keys of the two-int advisory lock that serialises migrations of one schema ("Pace" in ASCII).
    private const int MigrationLockClass = 0x50616365;

    // A listening connection that heard nothing this long checks that its server is still there.
    private static readonly TimeSpan ListenProbeInterval = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _schema;
    private readonly string _quotedSchema;
    private readonly string _channel;
    private readonly string _server;
    private readonly string _database;
    private readonly StoreCapabilities _capabilities;
    private readonly ConcurrentDictionary<string, string> _sql = new(ReferenceEqualityComparer.Instance);
    private int _disposed;

    private PostgresJobStore(NpgsqlConnectionStringBuilder connection, PostgresStoreOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _schema = options.Schema;
        _quotedSchema = $"\"{options.Schema}\"";
        // Channel names are identifiers (at most 63 bytes); two long schemas sharing one only costs spurious wake-ups.
        var channel = "pacer_" + options.Schema;
        _channel = channel.Length > 63 ? channel[..63] : channel;
        _server = PostgresConnectionString.Describe(connection);
        _database = connection.Database ?? connection.Username ?? "";
        if (string.IsNullOrEmpty(connection.ApplicationName))
            connection.ApplicationName = "pacer";
        _dataSource = new NpgsqlDataSourceBuilder(connection.ConnectionString).Build();
        _capabilities = new StoreCapabilities("postgres", SupportsListenNotify: options.ListenNotify, SupportsMultipleProcesses: true) { SpansMachines = true };
    }

    /// <summary>Opens the store (no connection is made until the first operation; call <see cref="MigrateAsync"/> first).</summary>
    public static PostgresJobStore Open(PostgresStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        var snapshot = options.Clone();
        return new PostgresJobStore(PostgresConnectionString.Parse(snapshot.ConnectionString), snapshot, time);
    }

    public StoreCapabilities Capabilities => _capabilities;

    /// <summary>The schema that holds this store's tables.</summary>
    internal string Schema => _schema;

    /// <summary>Where the store connects, without the password (for messages).</summary>
    internal string Server => _server;

    // ----- migrations -----

    public Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken) => InTransactionAsync(async (connection, transaction) =>
    {
        // Transaction-level: released by COMMIT or ROLLBACK, even if this process dies mid-migration.
        await using (var lockCommand = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@class, @key)"))
        {
            lockCommand.Parameters.Add(Int("class", MigrationLockClass));
            lockCommand.Parameters.Add(Int("key", (int)LockKey(_schema, "")));
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        // CREATE SCHEMA IF NOT EXISTS would need the database's CREATE privilege even when the schema exists.
        bool exists;
        await using (var probe = Command(connection, transaction, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @schema)"))
        {
            probe.Parameters.Add(Text("schema", _schema));
            exists = (bool)(await probe.ExecuteScalarAsync(cancellationToken))!;
        }
        if (!exists)
            await ExecuteAsync(connection, transaction, $"CREATE SCHEMA {_quotedSchema}", cancellationToken);
        await ExecuteAsync(connection, transaction,
            $"CREATE TABLE IF NOT EXISTS {_quotedSchema}.pacer_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)",
            cancellationToken);
        int from;
        await using (var version = Command(connection, transaction, $"SELECT coalesce(max(version), 0) FROM {_quotedSchema}.pacer_migrations"))
            from = (int)(await version.ExecuteScalarAsync(cancellationToken))!;
        var latest = PostgresMigrations.LatestVersion;
        if (from > latest)
        {
            throw new InvalidOperationException(
                $"The Pacer schema '{_schema}' on {_server} is at version {from}, newer than this build of Pacer.Postgres knows (version {latest}). " +
                "A newer Pacer migrated it: run that version, or upgrade this application's Pacer.Postgres package.");
        }
        var applied = new List<string>();
        foreach (var migration in PostgresMigrations.All.Where(m => m.Version > from))
        {
            await ExecuteAsync(connection, transaction, migration.Sql.Replace(PostgresMigrations.SchemaPlaceholder, _quotedSchema, StringComparison.Ordinal), cancellationToken);
            await using var record = Command(connection, transaction, $"INSERT INTO {_quotedSchema}.pacer_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)");
            record.Parameters.Add(Int("version", migration.Version));
            record.Parameters.Add(Text("name", migration.Name));
            record.Parameters.Add(Time("applied_at", _time.GetUtcNow()));
            await record.ExecuteNonQueryAsync(cancellationToken);
            applied.Add(string.Create(CultureInfo.InvariantCulture, $"{migration.Version:D4}_{migration.Name}"));
        }
        return new MigrationResult(from, Math.Max(from, latest), applied);
    }, cancellationToken);

    // ----- notifications -----

    public async Task ListenAsync(Action<string?> onWork, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onWork);
        ThrowIfDisposed();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            connection.Notification += (_, e) => onWork(e.Payload.Length == 0 ? null : e.Payload);
            await ExecuteAsync(connection, null, $"LISTEN \"{_channel}\"", cancellationToken);
            // Anything enqueued before the LISTEN took effect was not announced to us: look everywhere once.
            onWork(null);
            while (true)
            {
                if (!await connection.WaitAsync(ListenProbeInterval, cancellationToken))
                {
                    // Quiet for a while: make sure the connection is alive, or a dead server would leave us waiting forever.
                    await ExecuteAsync(connection, null, "SELECT 1", cancellationToken);
                }
            }
        }
        catch (NpgsqlException ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    /// <summary>Appends the notice that jobs of <paramref name="queues"/> became available (delivered when the transaction commits).</summary>
    private void AddNotify(NpgsqlBatch batch, IReadOnlyCollection<string> queues)
    {
        if (!_options.ListenNotify || queues.Count == 0)
            return;
        var command = new NpgsqlBatchCommand("SELECT count(pg_notify(@channel, q)) FROM unnest(@queues) AS q");
        command.Parameters.Add(Text("channel", _channel));
        command.Parameters.Add(Texts("queues", [.. queues]));
        batch.BatchCommands.Add(command);
    }

    /// <summary>
    /// Wraps an UPDATE that returns the queue of each row it moved to available: one statement that counts the rows
    /// and, if enabled, notifies each queue once.
    /// </summary>
    private string CountAndNotify(string updateReturningQueue) => _options.ListenNotify
        ? $"WITH moved AS ({updateReturningQueue}) SELECT count(*)::int, (SELECT count(pg_notify(@channel, q)) FROM (SELECT DISTINCT queue FROM moved) AS d(q)) FROM moved"
        : $"WITH moved AS ({updateReturningQueue}) SELECT count(*)::int, 0::bigint FROM moved";

    private void AddChannel(NpgsqlParameterCollection parameters)
    {
        if (_options.ListenNotify)
            parameters.Add(Text("channel", _channel));
    }

    // ----- leader lease -----

    public Task<bool> TryAcquireLeaderAsync(LeaderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name, nameof(request));
        ArgumentException.ThrowIfNullOrEmpty(request.Owner, nameof(request));
        if (request.Ttl <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(request), request.Ttl, "LeaderRequest.Ttl must be positive.");
        return WithConnectionAsync(async connection =>
        {
            // One statement: PostgreSQL's upsert is atomic, so two candidates can never both win.
            await using var command = Command(connection, null, Sql(
                "INSERT INTO {s}.pacer_leaders AS l (name, owner, expires_at) VALUES (@name, @owner, @expires_at) " +
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at " +
                "WHERE l.owner = excluded.owner OR l.expires_at <= @now"));
            command.Parameters.Add(Text("name", request.Name));
            command.Parameters.Add(Text("owner", request.Owner));
            command.Parameters.Add(Time("now", request.Now));
            command.Parameters.Add(Time("expires_at", request.Now + request.Ttl));
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }, cancellationToken);
    }

    public Task ReleaseLeaderAsync(string name, string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return WithConnectionAsync(async connection =>
        {
            await using var command = Command(connection, null, Sql("DELETE FROM {s}.pacer_leaders WHERE name = @name AND owner = @owner"));
            command.Parameters.Add(Text("name", name));
            command.Parameters.Add(Text("owner", owner));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    // ----- running work -----

    /// <summary>The statement with <c>{s}</c> replaced by the quoted schema; computed once per statement text.</summary>
    private string Sql(string template) => _sql.GetOrAdd(template, static (t, schema) => t.Replace("{s}", schema, StringComparison.Ordinal), _quotedSchema);

    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await work(connection);
        }
        catch (NpgsqlException ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction and commits it; an exception rolls it back.</summary>
    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        WithConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql) => new(sql, connection, transaction);

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatch Batch(NpgsqlConnection connection, NpgsqlTransaction? transaction) => new(connection, transaction);

    private NpgsqlBatchCommand BatchCommand(string template, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(Sql(template));
        command.Parameters.AddRange(parameters);
        return command;
    }

    /// <summary>
    /// A stable 64-bit key for a name within this schema, the same in every process and build (SHA-256, not
    /// string.GetHashCode, which is randomised per process). Collisions only make two names share a lock.
    /// </summary>
    internal static long LockKey(string schema, string name)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(schema + "\0" + name), hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash);
    }

    /// <summary>Turns database errors that are the caller's to fix into messages that name the server (never the password) and the fix.</summary>
    private InvalidOperationException? Translate(NpgsqlException ex)
    {
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName when pg.MessageText.Contains("pacer", StringComparison.Ordinal) =>
                    new InvalidOperationException(
                        $"The database {_server} has no Pacer schema '{_schema}' yet: call MigrateAsync first (the engine does when it starts), " +
                        "or run 'pacer migrate'.", ex),
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => new InvalidOperationException(
                    $"PostgreSQL at {_server} refused the login ({pg.MessageText}). Check the user and the password " +
                    "(PACER_DB_PASSWORD, PGPASSWORD, a Password File, or .pgpass).", ex),
                PostgresErrorCodes.InvalidCatalogName => new InvalidOperationException(
                    $"PostgreSQL at {_server} has no such database ({pg.MessageText}). Create it (CREATE DATABASE) or fix the connection string's Database.", ex),
                PostgresErrorCodes.InsufficientPrivilege => new InvalidOperationException(
                    $"The PostgreSQL user may not do what Pacer needs on {_server} ({pg.MessageText}). Grant it the use of schema '{_schema}' " +
                    "(and, for the first migration, CREATE on the database).", ex),
                PostgresErrorCodes.TooManyConnections => new InvalidOperationException(
                    $"PostgreSQL at {_server} has no connection slot free ({pg.MessageText}). Lower Maximum Pool Size per process or raise max_connections.", ex),
                _ => null,
            };
        }
        if (ex.InnerException is SocketException or TimeoutException)
        {
            return new InvalidOperationException(
                $"Cannot reach PostgreSQL at {_server} ({ex.InnerException.Message}). Check that the server runs, and the host and port.", ex);
        }
        return null;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _dataSource.DisposeAsync();
    }
}
