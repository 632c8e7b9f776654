using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Pacer.Secrets;

namespace Pacer.BuiltIn;

/// <summary>
/// <c>{secret:NAME}</c> in an http job's URL, header values or body: the job row keeps the reference, the worker puts the
/// value in when it sends the request. The value comes from the worker's configuration key <c>Secrets:NAME</c> (appsettings,
/// <c>dotnet user-secrets</c>, the environment variable <c>Secrets__NAME</c>) or the environment variable
/// <c>PACER_SECRET_NAME</c>, so a credential is never stored with a job, shown by the CLI or written to a log.
/// </summary>
internal static partial class SecretReferences
{
    public const string ConfigurationSection = "Secrets";
    public const string EnvironmentPrefix = "PACER_SECRET_";

    [GeneratedRegex(@"\{secret:([A-Za-z0-9_]+)\}")]
    private static partial Regex Reference();

    public static bool Contains(string? text) => text is not null && Reference().IsMatch(text);

    /// <summary>The text with every reference replaced by a harmless stand-in, for checks of its shape (a URL that parses).</summary>
    public static string WithStandIns(string text) => Reference().Replace(text, "x");

    /// <summary>Where a worker looks for a secret, for messages.</summary>
    public static string Where(string name) =>
        $"set {ConfigurationSection}:{name} in the worker's configuration or the environment variable {EnvironmentPrefix}{name.ToUpperInvariant()}";

    /// <summary>
    /// Replaces the references in <paramref name="text"/> with their values, adding each value to <paramref name="used"/>
    /// (so messages can be scrubbed of it). A reference the worker cannot resolve throws <see cref="PermanentJobException"/>
    /// naming the secret and where it is looked for.
    /// </summary>
    public static string Resolve(string text, string field, IConfiguration? configuration, ISet<string> used)
    {
        if (!Contains(text))
            return text;
        var resolved = new StringBuilder(text.Length);
        var last = 0;
        foreach (Match match in Reference().Matches(text))
        {
            var name = match.Groups[1].Value;
            var value = Find(name, configuration)
                ?? throw new PermanentJobException($"{field} refers to the secret {name}, which this worker does not have: {Where(name)}.");
            used.Add(value);
            resolved.Append(text, last, match.Index - last).Append(value);
            last = match.Index + match.Length;
        }
        return resolved.Append(text, last, text.Length - last).ToString();
    }

    /// <summary>Replaces every secret value in <paramref name="text"/> (a server's answer, say) with <c>***</c>.</summary>
    public static string Scrub(string text, IEnumerable<string> values)
    {
        foreach (var value in values)
            text = Secret.Hide(text, value);
        return text;
    }

    // Where the YouTube and Sheets keys are looked for too: a configuration key first, then an environment variable.
    private static string? Find(string name, IConfiguration? configuration) =>
        new SecretSources($"secret {name}", $"{ConfigurationSection}:{name}", EnvironmentPrefix + name.ToUpperInvariant(), FilePath: null)
            .Find(configuration)?.Value;
}
