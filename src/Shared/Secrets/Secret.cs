using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Pacer.Secrets;

/// <summary>
/// A credential's value and where it was found. <see cref="ToString"/> names the place, never the value, so a secret that
/// ends up in a log line or an exception message by accident shows as "the environment variable X".
/// </summary>
internal sealed class Secret
{
    public Secret(string value, string source)
    {
        Value = value;
        Source = source;
    }

    public string Value { get; }

    /// <summary>Where it came from, for messages: "the environment variable PACER_YOUTUBE_API_KEY".</summary>
    public string Source { get; }

    /// <summary>Replaces every occurrence of the value in <paramref name="text"/> (a server's message, say) with <c>***</c>.</summary>
    public string Scrub(string text) => Hide(text, Value);

    /// <summary>The value's length from which every occurrence is hidden, inside words too.</summary>
    internal const int HiddenInsideWords = 8;

    /// <summary>
    /// Replaces <paramref name="value"/> in <paramref name="text"/> with <c>***</c>. A value shorter than
    /// <see cref="HiddenInsideWords"/> (an emulator's token "t", a toy key) is hidden only where it stands alone, between
    /// characters that cannot be part of a key: hiding every "t" would make the message unreadable and would show the
    /// value anyway, by where the stars are.
    /// </summary>
    public static string Hide(string text, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return text;
        if (value.Length >= HiddenInsideWords)
            return text.Replace(value, "***", StringComparison.Ordinal);
        var hidden = new StringBuilder(text.Length);
        var last = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            var end = at + value.Length;
            if (at < last || (at > 0 && IsKeyCharacter(text[at - 1])) || (end < text.Length && IsKeyCharacter(text[end])))
                continue;
            hidden.Append(text, last, at - last).Append("***");
            last = end;
        }
        return last == 0 ? text : hidden.Append(text, last, text.Length - last).ToString();
    }

    private static bool IsKeyCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    public override string ToString() => Source;
}

/// <summary>
/// The places a secret may be kept, looked at in this order: a configuration key (appsettings.json, <c>dotnet user-secrets</c>,
/// or any other configuration provider), an environment variable, a file whose whole content is the secret. The first
/// non-blank one wins. A configuration key that is a section (a JSON credential written as an object in appsettings.json,
/// or one <c>dotnet user-secrets set</c> per field) is the JSON object of its values.
/// </summary>
internal sealed record SecretSources(string What, string? ConfigurationKey, string? EnvironmentVariable, string? FilePath)
{
    public Secret? Find(IConfiguration? configuration)
    {
        if (ConfigurationKey is { } key && configuration?[key] is { } configured && !string.IsNullOrWhiteSpace(configured))
            return new Secret(configured.Trim(), $"the configuration key {key}");
        if (ConfigurationKey is { } sectionKey && configuration?.GetSection(sectionKey) is { } section && section.GetChildren().Any())
            return new Secret(ObjectJson(section), $"the configuration section {sectionKey}");
        if (EnvironmentVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { } environment && !string.IsNullOrWhiteSpace(environment))
            return new Secret(environment.Trim(), $"the environment variable {variable}");
        if (FilePath is { } path && File.Exists(path))
        {
            var content = File.ReadAllText(path).Trim();
            if (content.Length > 0)
                return new Secret(content, $"the file {path}");
        }
        return null;
    }

    /// <summary>A configuration section as a JSON object: its values as strings, its subsections as objects.</summary>
    private static string ObjectJson(IConfigurationSection section)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, section);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());

        static void Write(Utf8JsonWriter json, IConfigurationSection section)
        {
            json.WriteStartObject();
            foreach (var child in section.GetChildren())
            {
                if (child.GetChildren().Any())
                {
                    json.WritePropertyName(child.Key);
                    Write(json, child);
                }
                else
                {
                    json.WriteString(child.Key, child.Value);
                }
            }
            json.WriteEndObject();
        }
    }

    /// <summary>One message that says what is missing and every way to provide it.</summary>
    public string Missing()
    {
        var ways = new List<string>();
        if (ConfigurationKey is { } key)
            ways.Add($"the configuration key {key} (appsettings.json, or `dotnet user-secrets set \"{key}\" ...`)");
        if (EnvironmentVariable is { } variable)
            ways.Add($"the environment variable {variable}");
        if (FilePath is { } path)
            ways.Add(File.Exists(path) ? $"the file {path} (it is empty)" : $"the file {path} (it does not exist)");
        return ways.Count == 0
            ? $"No {What}: no place to read it from is configured."
            : $"No {What} found. Set {string.Join(", or ", ways)}.";
    }
}
