using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Pacer;

/// <summary>Binding of the <c>Pacer</c> section where the binder's leniency would hide a mistake.</summary>
internal static class PacerConfiguration
{
    private static readonly string[] ResourceKeys = PropertyNames<ResourceOptions>();
    private static readonly string[] BreakerKeys = PropertyNames<BreakerOptions>();

    /// <summary>Binds the <c>Pacer</c> section of <paramref name="configuration"/> onto <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">A resource or queue entry holds a value or key that cannot be bound; the message names it.</exception>
    public static void Bind(IConfiguration configuration, PacerOptions options)
    {
        var pacer = configuration.GetSection("Pacer");
        pacer.Bind(options);
        KeepDeclaredSpelling(configuration, "Pacer:Resources", options.Resources);
        KeepDeclaredSpelling(configuration, "Pacer:Queues", options.Queues);
        CheckEntries(pacer);
    }

    /// <summary>
    /// Configuration keys ignore case, and the merged view spells a key the way the last source that has it does, so an
    /// override such as <c>PACER__RESOURCES__HOOKS__RATE=50/s</c> would bind resource <c>hooks</c> under the name
    /// <c>HOOKS</c>. Pacer's names are case-sensitive; this renames each bound entry back to its first source's spelling.
    /// </summary>
    internal static void KeepDeclaredSpelling<T>(IConfiguration configuration, string path, Dictionary<string, T> bound)
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

    /// <summary>
    /// The binder drops a dictionary entry whose value it cannot convert (<c>"Burst": "five"</c>) and ignores keys no
    /// property has, such as the <c>{AccountId}</c> of <c>account:{AccountId}</c> (':' separates configuration keys).
    /// Either leaves a resource or queue that silently limits nothing, so both are thrown as the binder throws for a
    /// plain property.
    /// </summary>
    private static void CheckEntries(IConfigurationSection pacer)
    {
        foreach (var resource in pacer.GetSection("Resources").GetChildren())
        {
            foreach (var child in resource.GetChildren())
            {
                if (!ResourceKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(child.GetChildren().Any(c => ResourceKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase))
                        ? $"{child.Path}: ':' separates configuration keys, so resource '{resource.Key}:{child.Key}' cannot be named in configuration; use another separator, e.g. '{resource.Key}-{child.Key}', or declare it in code with AddResource."
                        : $"{child.Path} is not a resource setting; use {string.Join(", ", ResourceKeys)}.");
                }
            }
            foreach (var child in resource.GetSection(nameof(ResourceOptions.Breaker)).GetChildren())
            {
                if (!BreakerKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"{child.Path} is not a breaker setting; use {string.Join(", ", BreakerKeys)}.");
            }
            // Bound on its own, a value the binder cannot convert throws and names its key.
            resource.Get<ResourceOptions>();
        }
        foreach (var queue in pacer.GetSection("Queues").GetChildren())
        {
            if (queue.GetChildren().FirstOrDefault() is { } child)
            {
                throw new InvalidOperationException(
                    $"{child.Path}: ':' separates configuration keys, so queue '{queue.Key}:{child.Key}' cannot be named in configuration; " +
                    $"give it to pacer run as --queues {queue.Key}:{child.Key}=N, or in code (PacerOptions.Queues).");
            }
            queue.Get<int>();
        }
    }

    private static string[] PropertyNames<T>() =>
        [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name)];
}
