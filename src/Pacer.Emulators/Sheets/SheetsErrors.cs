using System.Globalization;
using System.Text.Json.Serialization;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.Sheets;

/// <summary>A result of a Sheets method: a status and a body.</summary>
internal readonly record struct SheetsAnswer(int StatusCode, object Body)
{
    /// <summary>A <c>WWW-Authenticate</c> header to send with it.</summary>
    public string? Challenge { get; init; }

    public static SheetsAnswer Ok(object body) => new(200, body);
}

/// <summary>Thrown inside a method to answer with an error; caught by the API before anything was changed.</summary>
internal sealed class SheetsRequestException(SheetsAnswer answer) : Exception(((GoogleError)answer.Body).Error.Message)
{
    public SheetsAnswer Answer { get; } = answer;
}

/// <summary>The Sheets API v4 error bodies (<c>{"error":{"code","message","status"}}</c>), with the real messages.</summary>
internal static class SheetsErrors
{
    private const string CredentialsHelp =
        "Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

    public static SheetsAnswer InvalidArgument(string message) => Error(400, message, "INVALID_ARGUMENT");

    public static SheetsAnswer ValueInputOptionRequired() => InvalidArgument("'valueInputOption' is required but not specified");

    public static SheetsAnswer UnableToParseRange(string range) => InvalidArgument($"Unable to parse range: {range}");

    public static SheetsAnswer DuplicateSheet(int request, string title) =>
        InvalidArgument($"Invalid requests[{request}].addSheet: A sheet with the name \"{title}\" already exists. Please enter another name.");

    public static SheetsAnswer NoGrid(int request, string kind, int sheetId) =>
        InvalidArgument($"Invalid requests[{request}].{kind}: No grid with id: {sheetId.ToString(CultureInfo.InvariantCulture)}");

    public static SheetsAnswer TooManyCells(long limit) =>
        InvalidArgument($"This action would increase the number of cells in the workbook above the limit of {limit.ToString(CultureInfo.InvariantCulture)} cells.");

    public static SheetsAnswer NotFound() => Error(404, "Requested entity was not found.", "NOT_FOUND");

    public static SheetsAnswer MissingCredentials() =>
        Error(401, "Request is missing required authentication credential. " + CredentialsHelp, "UNAUTHENTICATED");

    public static SheetsAnswer InvalidCredentials() =>
        Error(401, "Request had invalid authentication credentials. " + CredentialsHelp, "UNAUTHENTICATED");

    /// <summary>An OAuth token whose user did not grant a scope the method takes (a read-only one for a write, say).</summary>
    public static SheetsAnswer InsufficientScopes(IReadOnlySet<string> accepted) =>
        Error(403, GoogleScopes.InsufficientMessage, "PERMISSION_DENIED", [GoogleScopes.Insufficient("sheets.googleapis.com")]) with
        {
            Challenge = GoogleScopes.Challenge(accepted),
        };

    /// <summary>A spreadsheet not shared with the caller, as Google answers it (the same for reads and writes).</summary>
    public static SheetsAnswer PermissionDenied() => Error(403, "The caller does not have permission", "PERMISSION_DENIED");

    public static SheetsAnswer MethodNotFound() => Error(404, "Method not found.", "NOT_FOUND");

    /// <summary>429 RESOURCE_EXHAUSTED, with the ErrorInfo detail clients read the limit from.</summary>
    public static SheetsAnswer RateLimited(SheetsLimit limit, long projectNumber)
    {
        var kind = limit.Write ? "Write" : "Read";
        var scope = limit.PerUser ? "per minute per user" : "per minute";
        var quotaLimit = $"{kind}RequestsPerMinutePer{(limit.PerUser ? "User" : "Project")}";
        var project = projectNumber.ToString(CultureInfo.InvariantCulture);
        var message = $"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests {scope}' of service 'sheets.googleapis.com' for consumer 'project_number:{project}'.";
        var metadata = new Dictionary<string, string>
        {
            ["quota_metric"] = $"sheets.googleapis.com/{kind.ToLowerInvariant()}_requests",
            ["quota_limit"] = quotaLimit,
            ["quota_limit_value"] = limit.Value.ToString(CultureInfo.InvariantCulture),
            ["consumer"] = $"projects/{project}",
            ["service"] = "sheets.googleapis.com",
            ["quota_location"] = "global",
        };
        return Error(429, message, "RESOURCE_EXHAUSTED",
            [new GoogleErrorInfo("RATE_LIMIT_EXCEEDED", "googleapis.com", metadata), new GoogleHelp([new HelpLink("Request a higher quota limit.", "https://cloud.google.com/docs/quotas/help/request_increase")])]);
    }

    public static SheetsAnswer Injected(int statusCode) => statusCode switch
    {
        503 => Error(503, "The service is currently unavailable.", "UNAVAILABLE"),
        _ => Error(statusCode, "Internal error encountered.", "INTERNAL"),
    };

    private static SheetsAnswer Error(int code, string message, string status, IReadOnlyList<object>? details = null) =>
        new(code, new GoogleError(new GoogleErrorBody(code, message, Errors: null, status, details)));

    private sealed record GoogleHelp(IReadOnlyList<HelpLink> Links)
    {
        [JsonPropertyName("@type")]
        [JsonPropertyOrder(-1)]
        public string Type => "type.googleapis.com/google.rpc.Help";
    }

    private sealed record HelpLink(string Description, string Url);
}
