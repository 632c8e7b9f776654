using Microsoft.Data.Sqlite;

namespace Pacer.Cli;

/// <summary>Turns the store's errors that a user can act on into one line naming the problem and the fix.</summary>
internal static class StoreErrors
{
    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int Error = 1;
    private const int Perm = 3;
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADb = 26;

    public static string? Describe(Exception exception, string databasePath)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SqliteException sqlite)
                return Describe(sqlite, databasePath);
        }
        return null;
    }

    private static string? Describe(SqliteException exception, string path) => exception.SqliteErrorCode switch
    {
        NotADb => $"{path} is not a SQLite database. Pass the path of a Pacer database with --db (default ./pacer.db).",
        Corrupt => $"{path} is corrupt (SQLite: {exception.Message}). Restore it from a backup, or pass another --db.",
        CantOpen => $"Cannot open {path}. Check that its directory exists and that you may read and write it, or pass another --db.",
        Perm or ReadOnly => $"Cannot write {path}: it is read-only to you. Run as a user who may write it and its directory, or pass another --db.",
        Busy or Locked => $"{path} stayed locked by another process past the busy timeout. Try again, or stop the other writer.",
        Full => $"The disk holding {path} is full. Free some space and try again.",
        Error when exception.Message.Contains("no such table: pacer_", StringComparison.Ordinal) =>
            $"{path} has no Pacer schema yet. Create it with 'pacer migrate --db {path}'.",
        _ => null,
    };
}
