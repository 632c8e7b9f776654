namespace Pacer;

/// <summary>How hard SQLite works to make each commit durable (<c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// Syncs at checkpoints only. In WAL mode a commit survives a crash of the process (or of every process),
    /// but the last commits before a power loss or an operating system crash may be lost; the database stays consistent.
    /// </summary>
    Normal,

    /// <summary>Syncs the write-ahead log on every commit, so commits also survive power loss, at the cost of an fsync per commit.</summary>
    Full,
}

/// <summary>Settings of the SQLite store. Validated once, when the store is created.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Path of the database file; created with its schema if missing. The directory must exist. Callers usually default to <c>pacer.db</c>.</summary>
    public required string Path { get; set; }

    /// <summary>
    /// Durability of each commit. Default <see cref="SqliteSynchronous.Normal"/>: in WAL mode, a process crash never
    /// loses a commit; a power loss may lose the last few. Choose <see cref="SqliteSynchronous.Full"/> when a power loss
    /// must not lose any acknowledged enqueue or outcome.
    /// </summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteStoreDefaults.Synchronous;

    /// <summary>
    /// How long a write waits for another process's write to finish before failing (<c>PRAGMA busy_timeout</c>).
    /// Default 10 s. Writers within one process never wait on this: they queue inside the store.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = SqliteStoreDefaults.BusyTimeout;

    /// <summary>
    /// Allows a database on a network file system (NFS, SMB/CIFS, sshfs, 9p, ...). Default false: SQLite's locking and
    /// WAL's shared memory do not work reliably there, which corrupts databases. Set only if you know your file system
    /// implements POSIX locks and shared memory correctly, and only one machine opens the file.
    /// </summary>
    public bool AllowNetworkFileSystem { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting and the fix if any setting is invalid.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException("SqliteStoreOptions.Path is empty: set it to a database file path, e.g. \"pacer.db\".", nameof(Path));
        if (Path == ":memory:" || Path.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || Path.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException(
                $"SqliteStoreOptions.Path '{Path}' is not a file path: the store needs a real file that its connections (and other processes) share. " +
                "Give a path such as \"pacer.db\"; in tests use a file in a temporary directory.", nameof(Path));
        if (!Enum.IsDefined(Synchronous))
            throw new ArgumentException($"SqliteStoreOptions.Synchronous is {(int)Synchronous}: use SqliteSynchronous.Normal or SqliteSynchronous.Full.", nameof(Synchronous));
        if (BusyTimeout < SqliteStoreDefaults.MinBusyTimeout || BusyTimeout > SqliteStoreDefaults.MaxBusyTimeout)
            throw new ArgumentException(
                $"SqliteStoreOptions.BusyTimeout is {BusyTimeout}: use a value from {SqliteStoreDefaults.MinBusyTimeout} to {SqliteStoreDefaults.MaxBusyTimeout} " +
                "(default 00:00:10); it is how long a write waits for another process's write.", nameof(BusyTimeout));
    }

    internal SqliteStoreOptions Clone() => new()
    {
        Path = Path,
        Synchronous = Synchronous,
        BusyTimeout = BusyTimeout,
        AllowNetworkFileSystem = AllowNetworkFileSystem,
    };
}

internal static class SqliteStoreDefaults
{
    public const SqliteSynchronous Synchronous = SqliteSynchronous.Normal;
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MinBusyTimeout = TimeSpan.FromMilliseconds(1);
    // busy_timeout takes an int of milliseconds; a day is already far past any sensible wait.
    public static readonly TimeSpan MaxBusyTimeout = TimeSpan.FromDays(1);
}
