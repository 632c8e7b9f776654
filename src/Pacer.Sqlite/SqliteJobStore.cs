using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Pacer.Storage;
using static SQLitePCL.raw;

namespace Pacer.Sqlite;

/// <summary>
/// The job store on one SQLite file in WAL mode. Writes go through one connection kept open, one at a time in this
/// process (a semaphore) and across processes (every write transaction is BEGIN IMMEDIATE, waiting up to the busy
/// timeout for another process's write), so no caller ever sees "database is locked". Reads use a small pool of their
/// own connections and run alongside the writer, as WAL allows.
/// </summary>
internal sealed partial class SqliteJobStore : IJobStore
{
    private const int MaxIdleReaders = 8;

    private static readonly StoreCapabilities SqliteCapabilities = new("sqlite", SupportsListenNotify: false, SupportsMultipleProcesses: true);

    private readonly string _path;
    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteConnection _writer;
    // The file name as SQLite spells it, read once: the writer connection is not to be touched outside the write lock.
    private readonly string _writerDataSource;
    private readonly ConcurrentQueue<SqliteConnection> _readers = new();
    // The hot statements (pick, claim, insert, complete), prepared once on the writer and kept: SQLite compiles one
    // in tens of microseconds, longer than most of them take to run. Touched only under the write lock.
    private readonly Dictionary<string, SqliteCommand> _keptStatements = new(StringComparer.Ordinal);
    private readonly CompletionCommand?[] _completionCommands = new CompletionCommand?[CompletionCommand.StatementCount];
    private int _disposed;

    private SqliteJobStore(string path, SqliteStoreOptions options, TimeProvider time)
    {
        _path = path;
        _options = options;
        _time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // The store keeps its own connections open; a second pool would only hide when files are released.
            Pooling = false,
            // Microsoft.Data.Sqlite retries a busy statement until this many seconds pass; keep it in step with busy_timeout.
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        _writer = OpenConnection(writer: true);
        _writerDataSource = _writer.DataSource;
    }

    /// <summary>Opens the store on <see cref="SqliteStoreOptions.Path"/>, creating the file if missing (not its schema: call <see cref="MigrateAsync"/>).</summary>
    public static SqliteJobStore Open(SqliteStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        var path = System.IO.Path.GetFullPath(options.Path);
        if (Directory.Exists(path))
            throw new ArgumentException($"The Pacer database path '{path}' is a directory: give a file path such as '{System.IO.Path.Combine(path, "pacer.db")}'.", nameof(options));
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The directory of the Pacer database '{path}' does not exist: create '{directory}' or choose another path.");
        if (!options.AllowNetworkFileSystem)
            FileSystemCheck.EnsureLocal(path);
        return new SqliteJobStore(path, options.Clone(), time);
    }

    public StoreCapabilities Capabilities => SqliteCapabilities;

    /// <summary>The full path of the database file.</summary>
    internal string DatabasePath => _path;

    public Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken) => WriteAsync(transaction =>
    {
        Execute(transaction, "CREATE TABLE IF NOT EXISTS pacer_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;");
        var from = (int)(long)Scalar(transaction, "SELECT coalesce(max(version), 0) FROM pacer_migrations;")!;
        var latest = SqliteMigrations.LatestVersion;
        if (from > latest)
        {
            throw new InvalidOperationException(
                $"The Pacer database '{_path}' is at schema version {from}, newer than this build of Pacer.Sqlite knows (version {latest}). " +
                "A newer Pacer migrated it: run that version, or upgrade this application's Pacer.Sqlite package.");
        }
        var applied = new List<string>();
        using var record = Command(transaction, "INSERT INTO pacer_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at);");
        foreach (var migration in SqliteMigrations.All.Where(m => m.Version > from))
        {
            Execute(transaction, migration.Sql);
            record.Parameters.Clear();
            record.Parameters.AddWithValue("@version", migration.Version);
            record.Parameters.AddWithValue("@name", migration.Name);
            record.Parameters.AddWithValue("@applied_at", JobRows.ToDb(_time.GetUtcNow()));
            record.ExecuteNonQuery();
            applied.Add(string.Create(CultureInfo.InvariantCulture, $"{migration.Version:D4}_{migration.Name}"));
        }
        return new MigrationResult(from, Math.Max(from, latest), applied);
    }, cancellationToken);

    // ----- connections -----

    private SqliteConnection OpenConnection(bool writer)
    {
        var connection = new SqliteConnection(_connectionString);
        var opened = false;
        try
        {
            connection.Open();
            var synchronous = _options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL";
            using (var pragmas = connection.CreateCommand())
            {
                pragmas.CommandText = string.Create(CultureInfo.InvariantCulture,
                    $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = {synchronous};");
                pragmas.ExecuteNonQuery();
            }
            if (writer)
            {
                using var wal = connection.CreateCommand();
                // The first statement that reads the file: a file that is not a database fails here, not later.
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                var mode = wal.ExecuteScalar() as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"The Pacer database '{_path}' could not be switched to WAL journal mode (SQLite reports '{mode}'). " +
                        "WAL is what lets workers read while one writes; put the database on a local disk that supports shared memory.");
                }
            }
            opened = true;
            return connection;
        }
        catch (SqliteException ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
        finally
        {
            if (!opened)
                connection.Dispose();
        }
    }

    private SqliteConnection RentReader() => _readers.TryDequeue(out var connection) ? connection : OpenConnection(writer: false);

    private void ReturnReader(SqliteConnection connection)
    {
        if (Volatile.Read(ref _disposed) != 0 || _readers.Count >= MaxIdleReaders)
        {
            connection.Dispose();
            return;
        }
        _readers.Enqueue(connection);
        // DisposeAsync may have drained the pool between the check and the add.
        if (Volatile.Read(ref _disposed) != 0)
            DrainReaders();
    }

    private void DrainReaders()
    {
        while (_readers.TryDequeue(out var connection))
            connection.Dispose();
    }

    // ----- running work -----

    /// <summary>Runs <paramref name="work"/> in one BEGIN IMMEDIATE transaction on the writer and commits it, unless the work rolled back.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _writeLock.WaitAsync(cancellationToken);
        var written = false;
        try
        {
            ThrowIfDisposed();
            using var transaction = _writer.BeginTransaction(deferred: false);
            var result = work(transaction);
            if (transaction.Connection is not null)
                transaction.Commit();
            written = true;
            return result;
        }
        catch (SqliteException ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
        finally
        {
            // A failed write may have left a kept statement half-stepped; prepare afresh rather than find out.
            if (!written)
                DropKeptStatements();
            _writeLock.Release();
        }
    }

    /// <summary>
    /// A command for <paramref name="sql"/> in <paramref name="transaction"/>, parameters empty. On the writer it is the
    /// kept, already prepared one (disposing the lease keeps it); on another connection (a caller's transaction), a new one.
    /// </summary>
    private StatementLease Statement(SqliteTransaction transaction, string sql)
    {
        if (!ReferenceEquals(transaction.Connection, _writer))
            return new StatementLease(Command(transaction, sql), kept: false);
        if (!_keptStatements.TryGetValue(sql, out var command))
            _keptStatements[sql] = command = Command(_writer, null, sql);
        command.Transaction = transaction;
        command.Parameters.Clear();
        return new StatementLease(command, kept: true);
    }

    private void DropKeptStatements()
    {
        foreach (var command in _keptStatements.Values)
            command.Dispose();
        _keptStatements.Clear();
        for (var i = 0; i < _completionCommands.Length; i++)
        {
            _completionCommands[i]?.Dispose();
            _completionCommands[i] = null;
        }
    }

    private readonly struct StatementLease(SqliteCommand command, bool kept) : IDisposable
    {
        public SqliteCommand Command => command;

        public void Dispose()
        {
            if (!kept)
                command.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled read connection. Microsoft.Data.Sqlite is synchronous, so this is too.</summary>
    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<T>(cancellationToken);
        try
        {
            return Task.FromResult(Read(work));
        }
        catch (Exception ex)
        {
            // Faults belong in the task, as they would be for a truly asynchronous read.
            return Task.FromException<T>(ex);
        }
    }

    private T Read<T>(Func<SqliteConnection, T> work)
    {
        ThrowIfDisposed();
        var connection = RentReader();
        var healthy = false;
        try
        {
            var result = work(connection);
            healthy = true;
            return result;
        }
        catch (SqliteException ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
        finally
        {
            // A connection that failed may be in any state; a fresh one is cheap.
            if (healthy)
                ReturnReader(connection);
            else
                connection.Dispose();
        }
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql) => Command(transaction.Connection!, transaction, sql);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Execute(SqliteTransaction transaction, string sql)
    {
        using var command = Command(transaction, sql);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteTransaction transaction, string sql)
    {
        using var command = Command(transaction, sql);
        return command.ExecuteScalar();
    }

    /// <summary>Turns SQLite errors that are the caller's to fix into messages that name the file and the fix.</summary>
    private InvalidOperationException? Translate(SqliteException ex) => ex.SqliteErrorCode switch
    {
        SQLITE_NOTADB => new InvalidOperationException(
            $"'{_path}' is not a SQLite database: the file exists but does not start with SQLite's header (another kind of file, or encrypted). " +
            "Point SqliteStoreOptions.Path at a Pacer database, or at a new file to create one.", ex),
        SQLITE_CANTOPEN => new InvalidOperationException(
            $"Cannot open the Pacer database '{_path}': SQLite could not open the file or create '{_path}-wal' and '{_path}-shm' next to it. " +
            "Check that the directory exists and that this process may read and write there.", ex),
        SQLITE_READONLY or SQLITE_PERM or SQLITE_AUTH => new InvalidOperationException(
            $"The Pacer database '{_path}' is not writable by this process ({ex.Message}). Give it write access to the file and its directory " +
            "(WAL mode creates -wal and -shm files next to the database).", ex),
        SQLITE_CORRUPT => new InvalidOperationException(
            $"The Pacer database '{_path}' is corrupt ({ex.Message}). Restore it from a backup, or move it aside to start with an empty one.", ex),
        SQLITE_FULL => new InvalidOperationException($"The disk holding the Pacer database '{_path}' is full; free space and retry.", ex),
        SQLITE_BUSY => new InvalidOperationException(
            $"Waited {_options.BusyTimeout} for another process to finish writing to the Pacer database '{_path}'. " +
            "Raise SqliteStoreOptions.BusyTimeout, or find the process that holds a long write transaction.", ex),
        SQLITE_ERROR when ex.Message.Contains("no such table: pacer_", StringComparison.Ordinal) => new InvalidOperationException(
            $"The database '{_path}' has no Pacer schema yet: call MigrateAsync first (the engine does when it starts).", ex),
        _ => null,
    };

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>A pragma's value as the writer connection sees it (diagnostics and tests).</summary>
    internal async Task<string?> ReadWriterPragmaAsync(string name, CancellationToken cancellationToken)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || c == '_'))
            throw new ArgumentException($"'{name}' is not a pragma name.", nameof(name));
        ThrowIfDisposed();
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var command = Command(_writer, null, $"PRAGMA {name};");
            return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        DrainReaders();
        // Let a write in flight finish; later callers see ObjectDisposedException once they get the lock.
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            DropKeptStatements();
            // Closing the last connection checkpoints the WAL into the database file and removes -wal and -shm.
            _writer.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
