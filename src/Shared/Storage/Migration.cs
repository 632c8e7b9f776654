using System.Globalization;
using System.Reflection;

namespace Pacer.Storage;

/// <summary>One of a store's numbered schema scripts (<c>Migrations/NNNN_name.sql</c>, embedded in the store's assembly).</summary>
internal sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>The scripts embedded in the assembly of <paramref name="store"/> (its name is the resources' prefix), in order.</summary>
    public static Migration[] LoadAll(Assembly assembly, string store)
    {
        var prefix = store + ".Migrations.";
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Parse(assembly, n, n[prefix.Length..^".sql".Length]))
            .OrderBy(m => m.Version)
            .ToArray();
        // A gap or a duplicate is a packaging mistake; catch it here rather than half-migrate a user's database.
        for (var i = 0; i < migrations.Length; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"{store} migrations must be numbered 1, 2, 3, ... without gaps; found version {migrations[i].Version} at position {i + 1}.");
        }
        if (migrations.Length == 0)
            throw new InvalidOperationException($"{store} was built without its migration scripts.");
        return migrations;
    }

    private static Migration Parse(Assembly assembly, string resource, string file)
    {
        var separator = file.IndexOf('_', StringComparison.Ordinal);
        if (separator <= 0 || !int.TryParse(file.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidOperationException($"Migration script '{file}.sql' must be named NNNN_name.sql.");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new Migration(version, file[(separator + 1)..], reader.ReadToEnd());
    }
}
