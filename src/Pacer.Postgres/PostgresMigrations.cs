using System.Globalization;
using System.Reflection;

namespace Pacer.Postgres;

/// <summary>The numbered schema scripts embedded in this assembly (<c>Migrations/NNNN_name.sql</c>), in order.</summary>
internal static class PostgresMigrations
{
    private const string ResourcePrefix = "Pacer.Postgres.Migrations.";

    /// <summary>Stands for the schema's quoted name in the scripts.</summary>
    public const string SchemaPlaceholder = "{schema}";

    internal sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } = Load();

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestVersion => All[^1].Version;

    private static Migration[] Load()
    {
        var assembly = typeof(PostgresMigrations).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Parse(assembly, n))
            .OrderBy(m => m.Version)
            .ToArray();
        // A gap or a duplicate is a packaging mistake; catch it here rather than half-migrate a user's database.
        for (var i = 0; i < migrations.Length; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"Pacer.Postgres migrations must be numbered 1, 2, 3, ... without gaps; found version {migrations[i].Version} at position {i + 1}.");
        }
        if (migrations.Length == 0)
            throw new InvalidOperationException("Pacer.Postgres was built without its migration scripts.");
        return migrations;
    }

    private static Migration Parse(Assembly assembly, string resource)
    {
        var file = resource[ResourcePrefix.Length..^".sql".Length];
        var separator = file.IndexOf('_', StringComparison.Ordinal);
        if (separator <= 0 || !int.TryParse(file.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidOperationException($"Migration script '{file}.sql' must be named NNNN_name.sql.");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, file[(separator + 1)..], reader.ReadToEnd());
    }
}
