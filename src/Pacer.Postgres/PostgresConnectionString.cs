using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Pacer;

/// <summary>
/// Reads the connection strings the PostgreSQL store accepts: Npgsql's <c>key=value</c> form or a <c>postgres://</c> URI,
/// each optionally naming a <c>Password File</c>. Also masks a connection string's password for messages and logs.
/// </summary>
public static partial class PostgresConnectionString
{
    /// <summary>The key that names a file holding the password (the file's content, without a trailing line break).</summary>
    public const string PasswordFileKey = "Password File";

    /// <summary>The key that names the Pacer schema in a connection string (an alternative to <see cref="PostgresStoreOptions.Schema"/>).</summary>
    public const string SchemaKey = "Schema";

    /// <summary>The environment variable read for the password when the connection string gives none (before Npgsql's own PGPASSWORD).</summary>
    public const string PasswordVariable = "PACER_DB_PASSWORD";

    private const string Mask = "***";

    /// <summary>Whether <paramref name="value"/> looks like a PostgreSQL connection string rather than a file path.</summary>
    public static bool Looks(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return false;
        var text = value.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return true;
        // key=value pairs with a key Npgsql needs to find a server.
        return text.Contains('=', StringComparison.Ordinal) && HostKey().IsMatch(text);
    }

    /// <summary>
    /// Returns the connection string with the password shown as <c>***</c> (in either form), for error messages and logs.
    /// Never throws: text that cannot be parsed has anything that looks like a password masked.
    /// </summary>
    public static string MaskPassword(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return value ?? "";
        var text = value.Trim();
        if (IsUri(text))
            return UriPassword().Replace(text, m => m.Groups["before"].Value + Mask + "@");
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = text };
            foreach (var key in builder.Keys.Cast<string>().ToArray())
            {
                if (IsPasswordKey(key))
                    builder[key] = Mask;
            }
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return KeyValuePassword().Replace(text, m => m.Groups["key"].Value + Mask);
        }
    }

    /// <summary>
    /// Masks, in any <paramref name="text"/> (an error message, a stack trace), the connection string itself and the
    /// password it gives or that a <c>Password File</c> or <c>PACER_DB_PASSWORD</c> supplies. Never throws.
    /// </summary>
    public static string MaskPasswordIn(string text, string connectionString)
    {
        if (string.IsNullOrEmpty(text) || string.IsNullOrEmpty(connectionString))
            return text;
        var result = text.Replace(connectionString, MaskPassword(connectionString), StringComparison.Ordinal);
        string? password;
        try
        {
            password = Parse(connectionString).Password;
        }
        catch (ArgumentException)
        {
            return result;
        }
        // A one- or two-character password would mask half the message; such a password is its own problem.
        return password is { Length: > 2 } ? result.Replace(password, Mask, StringComparison.Ordinal) : result;
    }

    /// <summary>
    /// Turns an accepted connection string into Npgsql's form: a URI becomes key=value pairs, and a <c>Password File</c>
    /// is read into the password. Errors name the problem with the password masked.
    /// </summary>
    /// <exception cref="ArgumentException">The string is malformed or names a password file that cannot be read.</exception>
    internal static NpgsqlConnectionStringBuilder Parse(string value) => Parse(value, out _);

    /// <param name="schema">The Pacer schema named by a <c>Schema</c> key (or <c>?schema=</c> in a URI), if any.</param>
    internal static NpgsqlConnectionStringBuilder Parse(string value, out string? schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var text = value.Trim();
        var pairs = IsUri(text) ? FromUri(text) : FromKeyValue(text);
        string? passwordFile = null;
        schema = null;
        foreach (var key in pairs.Keys.ToArray())
        {
            if (string.Equals(key.Replace(" ", "", StringComparison.Ordinal), "PasswordFile", StringComparison.OrdinalIgnoreCase))
            {
                passwordFile = pairs[key];
                pairs.Remove(key);
            }
            else if (string.Equals(key, SchemaKey, StringComparison.OrdinalIgnoreCase))
            {
                schema = pairs[key];
                pairs.Remove(key);
            }
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder();
            foreach (var (key, item) in pairs)
                builder[key] = item;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            throw new ArgumentException($"The PostgreSQL connection string '{MaskPassword(value)}' is not valid: {ex.Message}", nameof(value), ex);
        }
        if (passwordFile is not null)
        {
            if (!string.IsNullOrEmpty(builder.Password))
                throw new ArgumentException($"The PostgreSQL connection string '{MaskPassword(value)}' has both a password and a {PasswordFileKey}: keep one (the file).", nameof(value));
            builder.Password = ReadPasswordFile(passwordFile);
        }
        else if (string.IsNullOrEmpty(builder.Password) && Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } password)
        {
            // After this, Npgsql itself falls back to PGPASSWORD and then to a .pgpass file.
            builder.Password = password;
        }
        return builder;
    }

    private static string ReadPasswordFile(string path)
    {
        try
        {
            var password = File.ReadAllText(path).TrimEnd('\r', '\n');
            if (password.Length == 0)
                throw new ArgumentException($"The password file '{path}' is empty; write the database password into it.");
            return password;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot read the password file '{path}' named by '{PasswordFileKey}': {ex.Message}", ex);
        }
    }

    private static bool IsUri(string text) =>
        text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    private static bool IsPasswordKey(string key)
    {
        var plain = key.Replace(" ", "", StringComparison.Ordinal);
        return string.Equals(plain, "Password", StringComparison.OrdinalIgnoreCase) || string.Equals(plain, "Pwd", StringComparison.OrdinalIgnoreCase);
    }

    private static Dictionary<string, string> FromKeyValue(string text)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = text };
            var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string key in builder.Keys)
                pairs[key] = Convert.ToString(builder[key], CultureInfo.InvariantCulture) ?? "";
            return pairs;
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The PostgreSQL connection string '{MaskPassword(text)}' is not valid: {ex.Message}", nameof(text), ex);
        }
    }

    /// <summary>postgres://user:password@host:port/database?param=value, as libpq reads it (the common parameters).</summary>
    private static Dictionary<string, string> FromUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"The PostgreSQL URI '{MaskPassword(text)}' is not valid: expected postgres://user@host:port/database.", nameof(text));
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Host"] = uri.Host.Trim('[', ']') };
        if (!uri.IsDefaultPort && uri.Port > 0)
            pairs["Port"] = uri.Port.ToString(CultureInfo.InvariantCulture);
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            pairs["Username"] = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
                pairs["Password"] = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
            pairs["Database"] = database;
        foreach (var part in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? part : part[..equals]);
            var item = equals < 0 ? "" : Uri.UnescapeDataString(part[(equals + 1)..].Replace('+', ' '));
            pairs[UriParameter(name, text)] = item;
        }
        return pairs;
    }

    private static string UriParameter(string name, string text) => name.ToLowerInvariant() switch
    {
        "sslmode" => "SSL Mode",
        "application_name" => "Application Name",
        "connect_timeout" => "Timeout",
        "target_session_attrs" => "Target Session Attributes",
        "sslrootcert" => "Root Certificate",
        "sslcert" => "SSL Certificate",
        "sslkey" => "SSL Key",
        "passfile" => "Passfile",
        "password_file" => PasswordFileKey,
        "schema" => SchemaKey,
        "options" => "Options",
        "keepalives_idle" => "Keepalive",
        // Npgsql's own keys are accepted as they are (e.g. ?Maximum%20Pool%20Size=20).
        _ when name.Contains(' ', StringComparison.Ordinal) || char.IsUpper(name[0]) => name,
        _ => throw new ArgumentException(
            $"The PostgreSQL URI '{MaskPassword(text)}' has the parameter '{name}', which Pacer does not map; use the key=value form for it.", nameof(text)),
    };

    [GeneratedRegex(@"(^|;)\s*(host|server)\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HostKey();

    [GeneratedRegex(@"(?<before>^[a-z]+://[^:/@]*:)[^@]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UriPassword();

    [GeneratedRegex(@"(?<key>(password|pwd)\s*=\s*)[^;]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValuePassword();

    internal static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database}");
        if (!string.IsNullOrEmpty(builder.Username))
            text.Insert(0, builder.Username + "@");
        return text.ToString();
    }
}
