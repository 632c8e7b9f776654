using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Pacer.GoogleApis;

// Linked into Pacer.YouTube and Pacer.Sheets (see src/Shared/README.md): one copy of Google's error envelope for both.

/// <summary>
/// Google's JSON error envelope, as both the v3 APIs (YouTube: <c>errors[].reason</c>) and the v4 APIs (Sheets:
/// <c>status</c>, <c>details[].reason</c>) write it: <c>{"error":{"code","message","status","errors":[...],"details":[...]}}</c>.
/// </summary>
internal sealed record GoogleErrorEnvelope(GoogleErrorBody? Error);

internal sealed record GoogleErrorBody(
    int Code,
    string? Message,
    string? Status,
    IReadOnlyList<GoogleErrorItem>? Errors,
    IReadOnlyList<GoogleErrorDetail>? Details);

/// <summary>One entry of the v3 APIs' <c>errors</c> array.</summary>
internal sealed record GoogleErrorItem(string? Message, string? Domain, string? Reason);

/// <summary>A <c>details</c> entry; only <c>google.rpc.ErrorInfo</c>'s reason is read (e.g. <c>API_KEY_INVALID</c>, <c>RATE_LIMIT_EXCEEDED</c>).</summary>
internal sealed record GoogleErrorDetail(string? Reason);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GoogleErrorEnvelope))]
internal sealed partial class GoogleErrorJson : JsonSerializerContext;

/// <summary>What a failed call's body says, in the few fields callers decide on.</summary>
/// <param name="Reason">The first <c>errors[].reason</c> (<c>quotaExceeded</c>, <c>playlistNotFound</c>), else the ErrorInfo reason.</param>
/// <param name="Domain">The first <c>errors[].domain</c> (<c>youtube.quota</c>, <c>usageLimits</c>).</param>
/// <param name="Status">The RPC status (<c>INVALID_ARGUMENT</c>, <c>RESOURCE_EXHAUSTED</c>).</param>
/// <param name="DetailReason">The <c>google.rpc.ErrorInfo</c> reason (<c>API_KEY_INVALID</c>), if any.</param>
/// <param name="Message">The human message, with HTML tags removed (YouTube puts links and code tags in it).</param>
internal readonly partial record struct GoogleError(string? Reason, string? Domain, string? Status, string? DetailReason, string Message)
{
    /// <summary>Bodies longer than this are not read: error bodies are small, and a huge one is not an error envelope.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static GoogleError Parse(ReadOnlySpan<byte> body, string fallbackMessage)
    {
        GoogleErrorBody? error;
        try
        {
            error = body.IsEmpty ? null : JsonSerializer.Deserialize(body, GoogleErrorJson.Default.GoogleErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            error = null; // not Google's envelope (a proxy's HTML page): the status alone decides
        }
        if (error is null)
            return new GoogleError(null, null, null, null, fallbackMessage);
        var item = error.Errors?.FirstOrDefault(e => e.Reason is not null);
        var detail = error.Details?.FirstOrDefault(d => d.Reason is not null)?.Reason;
        var message = string.IsNullOrWhiteSpace(error.Message) ? fallbackMessage : Tags().Replace(error.Message, "").Trim();
        return new GoogleError(item?.Reason ?? detail, item?.Domain, error.Status, detail, message);
    }

    /// <summary>Reads at most <see cref="MaxBodyBytes"/> of an error answer's body.</summary>
    public static async Task<GoogleError> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var fallback = string.IsNullOrEmpty(response.ReasonPhrase) ? $"HTTP {(int)response.StatusCode}" : response.ReasonPhrase;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBodyBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            length += read;
        return Parse(buffer.AsSpan(0, length), fallback);
    }

    /// <summary>The reason in words for messages: <c>quotaExceeded</c>, else the status, else nothing.</summary>
    public string What => Reason ?? Status ?? "";

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Tags();
}
