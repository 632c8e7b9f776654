using System.Text;

namespace Pacer.Cli;

/// <summary>Checks on the <c>--db</c> path made before SQLite opens it, so a wrong path is reported, not created or altered.</summary>
/// <remarks>A PostgreSQL connection string is not a file: the server reports what is wrong with it when the store connects.</remarks>
internal static class DatabaseFile
{
    /// <summary>Whether <paramref name="database"/> is a PostgreSQL connection string (postgres://... or key=value with a Host).</summary>
    public static bool IsPostgres(string database) => PostgresConnectionString.Looks(database);

    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>For commands that read or change jobs: the database must exist and be a SQLite file.</summary>
    public static void EnsureExisting(string path)
    {
        if (IsPostgres(path))
            return;
        if (Directory.Exists(path))
            throw CliException.Failure($"--db {path} is a directory; pass the path of the database file, e.g. --db {Path.Combine(path, "pacer.db")}.");
        if (!File.Exists(path))
            throw CliException.Failure($"No database at {path}. Create it with 'pacer migrate --db {path}' (or 'pacer run'), or pass --db with the right path.");
        EnsureSqlite(path);
    }

    /// <summary>For commands that may create the database (migrate, run): an existing file must be SQLite; a missing directory is created.</summary>
    public static void EnsureCreatable(string path)
    {
        if (IsPostgres(path))
            return;
        if (Directory.Exists(path))
            throw CliException.Failure($"--db {path} is a directory; pass the path of the database file, e.g. --db {Path.Combine(path, "pacer.db")}.");
        if (File.Exists(path))
        {
            EnsureSqlite(path);
            return;
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
    }

    private static void EnsureSqlite(string path)
    {
        var header = new byte[SqliteMagic.Length];
        int read;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw CliException.Failure($"Cannot read {path}: permission denied. Run as a user who may read and write it, or pass another --db.", ex);
        }
        catch (IOException ex)
        {
            throw CliException.Failure($"Cannot read {path}: {ex.Message} Pass the path of a Pacer database with --db.", ex);
        }
        // An empty file is a valid, empty SQLite database; anything else must start with SQLite's header.
        if (read == 0)
            return;
        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteMagic))
            throw CliException.Failure($"{path} is not a SQLite database. Pass the path of a Pacer database with --db (default ./pacer.db).");
    }
}
