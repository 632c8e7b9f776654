using System.Text.Json.Serialization;

namespace Pacer.Emulators.Hosting;

/// <summary>Google's JSON error envelope: <c>{"error":{"code","message","errors":[...],"status","details":[...]}}</c>.</summary>
internal sealed record GoogleError(GoogleErrorBody Error);

internal sealed record GoogleErrorBody(
    int Code,
    string Message,
    IReadOnlyList<GoogleErrorItem>? Errors = null,
    string? Status = null,
    IReadOnlyList<object>? Details = null);

/// <summary>One entry of the v3 APIs' <c>errors</c> array.</summary>
internal sealed record GoogleErrorItem(string Message, string Domain, string Reason);

/// <summary>A <c>google.rpc.ErrorInfo</c> detail.</summary>
internal sealed record GoogleErrorInfo(string Reason, string Domain, IReadOnlyDictionary<string, string> Metadata)
{
    [JsonPropertyName("@type")]
    [JsonPropertyOrder(-1)]
    public string Type => "type.googleapis.com/google.rpc.ErrorInfo";
}

/// <summary>The OAuth scopes the emulated methods accept, as Google's method references list them.</summary>
internal static class GoogleScopes
{
    private const string Prefix = "https://www.googleapis.com/auth/";

    public static readonly IReadOnlySet<string> YouTubeRead = Scopes("youtube", "youtube.readonly", "youtube.force-ssl", "youtubepartner");

    public static readonly IReadOnlySet<string> SheetsRead = Scopes("spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file");

    public static readonly IReadOnlySet<string> SheetsWrite = Scopes("spreadsheets", "drive", "drive.file");

    public const string InsufficientMessage = "Request had insufficient authentication scopes.";

    /// <summary>
    /// The <c>WWW-Authenticate</c> header of that 403 (RFC 6750's insufficient_scope, as Google sends it): the scopes the
    /// method takes, any one of which a new consent would have to grant.
    /// </summary>
    public static string Challenge(IReadOnlySet<string> accepted) =>
        $"Bearer realm=\"https://accounts.google.com/\", error=\"insufficient_scope\", scope=\"{string.Join(' ', accepted.Order(StringComparer.Ordinal))}\"";

    /// <summary>The ErrorInfo detail of a 403 for a token without the method's scope.</summary>
    public static GoogleErrorInfo Insufficient(string service) =>
        new("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "googleapis.com", new Dictionary<string, string> { ["service"] = service });

    private static HashSet<string> Scopes(params string[] names) => names.Select(n => Prefix + n).ToHashSet(StringComparer.Ordinal);
}
