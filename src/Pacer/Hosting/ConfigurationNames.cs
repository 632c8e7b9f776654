using Microsoft.Extensions.Configuration;

namespace Pacer;

/// <summary>Keeps names that are configuration keys (resources, queues) spelled the way they were declared.</summary>
internal static class ConfigurationNames
{
    /// <summary>
    /// Configuration keys ignore case, and the merged view spells a key the way the last source that has it does, so an
    /// override such as <c>PACER__RESOURCES__HOOKS__RATE=50/s</c> would bind resource <c>hooks</c> under the name
    /// <c>HOOKS</c>. Pacer's names are case-sensitive; this renames each bound entry back to its first source's spelling.
    /// </summary>
    public static void KeepDeclaredSpelling<T>(IConfiguration configuration, string path, Dictionary<string, T> bound)
    {
        if (configuration is not IConfigurationRoot root || bound.Count == 0)
            return;
        foreach (var name in bound.Keys.ToArray())
        {
            // Providers are in the order they were added: the first that has the key declared it.
            var declared = root.Providers
                .SelectMany(provider => provider.GetChildKeys([], path))
                .FirstOrDefault(key => string.Equals(key, name, StringComparison.OrdinalIgnoreCase));
            if (declared is null || declared == name || bound.ContainsKey(declared))
                continue;
            bound[declared] = bound[name];
            bound.Remove(name);
        }
    }
}
