using Pacer.Storage;

namespace Pacer.Postgres;

/// <summary>The numbered schema scripts embedded in this assembly (<c>Migrations/NNNN_name.sql</c>), in order.</summary>
internal static class PostgresMigrations
{
    /// <summary>Stands for the schema's quoted name in the scripts.</summary>
    public const string SchemaPlaceholder = "{schema}";

    public static IReadOnlyList<Migration> All { get; } = Migration.LoadAll(typeof(PostgresMigrations).Assembly, "Pacer.Postgres");

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestVersion => All[^1].Version;
}
