using Pacer.Storage;

namespace Pacer.Sqlite;

/// <summary>The numbered schema scripts embedded in this assembly (<c>Migrations/NNNN_name.sql</c>), in order.</summary>
internal static class SqliteMigrations
{
    public static IReadOnlyList<Migration> All { get; } = Migration.LoadAll(typeof(SqliteMigrations).Assembly, "Pacer.Sqlite");

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestVersion => All[^1].Version;
}
