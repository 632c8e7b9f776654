using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pacer.Http;

/// <summary>What an answer means for the resource that gave it.</summary>
internal enum CallVerdict
{
    /// <summary>The resource worked (whatever the answer means to the caller).</summary>
    Success,
    /// <summary>The resource failed (5xx, timeout, no connection): counts toward its breaker.</summary>
    Failure,
    /// <summary>Too many requests: pause the resource.</summary>
    Limited,
    /// <summary>Quota used up: nothing more until the window resets.</summary>
    QuotaExhausted,
}

/// <summary>
/// Reads the limit signals of the APIs Pacer's users call: HTTP 429 and 503 with Retry-After, Google's error bodies
/// (YouTube <c>quotaExceeded</c>, <c>rateLimitExceeded</c>; Sheets <c>RESOURCE_EXHAUSTED</c>) and Telegram's
/// <c>parameters.retry_after</c>.
/// </summary>
internal static partial class ApiErrors
{
    /// <summary>Bodies longer than this are not searched for a limit signal (error bodies are small).</summary>
    public const int MaxErrorBody = 64 * 1024;

    /// <summary>Whether the answer's body should be read to classify it.</summary>
    public static bool NeedsBody(HttpStatusCode status) => status is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests;

    public static (CallVerdict Verdict, TimeSpan? RetryAfter, string Reason) Classify(HttpResponseMessage response, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var status = response.StatusCode;
        var retryAfter = RetryAfter(response, now);
        var error = body.IsEmpty ? default : Parse(body);
        var code = (int)status;

        if (error.Reason is "quotaExceeded" or "dailyLimitExceeded")
            return (CallVerdict.QuotaExhausted, null, $"{code} {error.Reason}: {error.Message ?? "quota exceeded"}");
        if (status == HttpStatusCode.TooManyRequests || error.Reason is "rateLimitExceeded" or "userRateLimitExceeded")
        {
            retryAfter ??= error.RetryAfter;
            // Sheets refills its per-minute quotas each minute and says which quota it was in the body.
            if (retryAfter is null && error.QuotaLimit?.Contains("PerMinute", StringComparison.Ordinal) == true)
                retryAfter = TimeSpan.FromTicks(TimeSpan.TicksPerMinute - (now.UtcTicks % TimeSpan.TicksPerMinute));
            var what = error.Reason ?? error.Status ?? "Too Many Requests";
            return (CallVerdict.Limited, retryAfter, retryAfter is { } r
                ? string.Create(CultureInfo.InvariantCulture, $"{code} {what}, retry after {r.TotalSeconds:0.###}s")
                : $"{code} {what}");
        }
        if (status == HttpStatusCode.ServiceUnavailable && retryAfter is not null)
            return (CallVerdict.Limited, retryAfter, string.Create(CultureInfo.InvariantCulture, $"503 Service Unavailable, retry after {retryAfter.Value.TotalSeconds:0.###}s"));
        if (code >= 500 || status == HttpStatusCode.RequestTimeout)
            return (CallVerdict.Failure, null, $"{code} {response.ReasonPhrase}".TrimEnd());
        return (CallVerdict.Success, null, "");
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        TimeSpan? wait = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => null,
        };
        return wait is { } w && w < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private readonly record struct ErrorBody(string? Reason, string? Status, string? Message, string? QuotaLimit, TimeSpan? RetryAfter);

    private static ErrorBody Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return default;
            // Telegram: {"ok":false,"error_code":429,"description":"...","parameters":{"retry_after":8}}
            if (root.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("retry_after", out var seconds) && seconds.TryGetDouble(out var s))
                return new ErrorBody(null, "Too Many Requests", Text(root, "description"), null, TimeSpan.FromSeconds(s));
            // Google: {"error":{"code":403,"message":"...","status":"...","errors":[{"reason":"quotaExceeded"}],"details":[{"metadata":{"quota_limit":"..."}}]}}
            if (!root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
                return default;
            string? reason = null;
            if (error.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in errors.EnumerateArray())
                {
                    reason ??= item.ValueKind == JsonValueKind.Object ? Text(item, "reason") : null;
                }
            }
            string? quotaLimit = null;
            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in details.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
                        quotaLimit ??= Text(metadata, "quota_limit");
                }
            }
            // YouTube puts a link in its quota message; the reason ends up in pauses and wait reasons shown as plain text.
            var message = Text(error, "message") is { } html ? Tags().Replace(html, "").Trim() : null;
            return new ErrorBody(reason, Text(error, "status"), message, quotaLimit, null);
        }
        catch (JsonException)
        {
            return default; // not JSON: the status alone decides
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Tags();
}
