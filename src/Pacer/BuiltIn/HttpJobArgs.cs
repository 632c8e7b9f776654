using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Pacer.BuiltIn;

/// <summary>
/// Arguments of the <c>http</c> kind, e.g. <c>{"method":"POST","url":"https://example.org/hook","headers":{"Content-Type":"application/json"},"body":"{}"}</c>.
/// </summary>
/// <remarks>
/// Success is any 2xx answer. 5xx, 408, timeouts and network errors are retried with the engine's backoff; a 429 with
/// <c>Retry-After</c> runs the job again when the server asked, without using an attempt; any other answer discards
/// the job at once. Every attempt of one job sends the same <c>Idempotency-Key</c> (<c>pacer-{jobId}</c>) unless
/// <see cref="Headers"/> sets one, so the receiver can drop duplicates.
/// Credentials are written as references, <c>"Authorization": "Bearer {secret:HOOK_TOKEN}"</c> (also in the URL and the
/// body): the job keeps the reference and the worker puts in the value of <c>Secrets:HOOK_TOKEN</c> (or the environment
/// variable <c>PACER_SECRET_HOOK_TOKEN</c>) as it sends. A new job whose credential header or query parameter holds a
/// literal value is refused, since it would be stored in clear text.
/// </remarks>
public sealed partial record HttpJobArgs : IValidatableObject
{
    /// <summary>The HTTP method. Default <c>GET</c>.</summary>
    [Required(ErrorMessage = "may not be null; leave it out for GET.")]
    public string Method { get; init; } = "GET";

    /// <summary>Absolute <c>http</c> or <c>https</c> URL. Required. A credential in the query is a <c>{secret:NAME}</c> reference.</summary>
    [Required(ErrorMessage = "is required, e.g. \"url\": \"https://example.org/hook\".")]
    public required string Url { get; init; }

    /// <summary>
    /// Request headers (content headers such as <c>Content-Type</c> need a <see cref="Body"/>). Values are never logged
    /// or shown by the CLI; a credential header (<c>Authorization</c>, <c>Cookie</c>, <c>X-Api-Key</c>, ...) must hold a
    /// <c>{secret:NAME}</c> reference, which the worker resolves as it sends.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Request body, sent as UTF-8 (<c>text/plain</c> unless <see cref="Headers"/> sets <c>Content-Type</c>).</summary>
    public string? Body { get; init; }

    /// <summary>Per-call timeout in seconds (0.001 to 86,400). A call that takes longer is retried. Default: only the job's timeout applies.</summary>
    [Range(0.001, 86_400, ErrorMessage = "must be between 0.001 and 86400 seconds.")]
    public double? TimeoutSeconds { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TryParseUrl(Url is null ? null : SecretReferences.WithStandIns(Url), out var uri))
            yield return new("must be an absolute http or https URL without user info, e.g. \"https://example.org/hook\"; send credentials in a header.", [nameof(Url)]);
        if (!Token().IsMatch(Method))
            yield return new($"'{Method}' is not an HTTP method; use GET, POST, PUT, PATCH, DELETE or another token.", [nameof(Method)]);
        foreach (var problem in HeaderProblems())
            yield return new(problem, [nameof(Headers)]);
        // What may be stored: a rule for new jobs only, so jobs stored before it still run.
        if (!validationContext.Items.ContainsKey(JobKind.EnqueueValidation))
            yield break;
        foreach (var (name, value) in Headers ?? new Dictionary<string, string>())
        {
            if (IsCredentialHeader(name) && !SecretReferences.Contains(value))
            {
                yield return new($"'{name}' holds a credential, which would be stored with the job in clear text; write it as a secret reference, " +
                    $"e.g. \"Bearer {{secret:HOOK_TOKEN}}\", and {SecretReferences.Where("HOOK_TOKEN")} where the worker runs.", [nameof(Headers)]);
            }
        }
        foreach (var parameter in uri is null ? [] : CredentialParameters(Url!))
        {
            yield return new($"the query parameter '{parameter}' holds a credential, which would be stored with the job in clear text; write " +
                $"{parameter}={{secret:NAME}} and {SecretReferences.Where("NAME")} where the worker runs.", [nameof(Url)]);
        }
    }

    private static readonly string[] CredentialHeaderParts = ["authorization", "cookie", "token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "credential", "session"];

    private static readonly HashSet<string> CredentialParameterNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "key", "apikey", "api_key", "api-key", "access_token", "accesstoken", "token", "auth", "auth_token", "password", "pass", "secret", "client_secret",
    };

    internal static bool IsCredentialHeader(string name) =>
        CredentialHeaderParts.Any(part => name.Contains(part, StringComparison.OrdinalIgnoreCase));

    /// <summary>Query parameters named like a credential whose value is not a secret reference.</summary>
    private static IEnumerable<string> CredentialParameters(string url)
    {
        var query = url.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? url[(at + 1)..] : "";
        var fragment = query.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
            query = query[..fragment];
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            if (CredentialParameterNames.Contains(name) && value.Length > 0 && !SecretReferences.Contains(value))
                yield return name;
        }
    }

    internal static bool TryParseUrl(string? value, out Uri uri)
    {
        uri = null!;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(parsed.Host)
            || !string.IsNullOrEmpty(parsed.UserInfo))
            return false;
        uri = parsed;
        return true;
    }

    // Problems name the header, never its value: values are often secrets and these messages are stored and printed.
    private IEnumerable<string> HeaderProblems()
    {
        if (Headers is null)
            yield break;
        using var probe = new HttpRequestMessage();
        using var content = new ByteArrayContent([]);
        foreach (var (name, value) in Headers)
        {
            if (string.IsNullOrEmpty(name) || !Token().IsMatch(name))
            {
                yield return $"'{name}' is not a valid header name.";
                continue;
            }
            if (value is null || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                yield return $"the value of '{name}' is null or contains a line break.";
                continue;
            }
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                yield return $"'{name}' is set from the body; leave it out.";
                continue;
            }
            if (probe.Headers.TryAddWithoutValidation(name, "x"))
                continue;
            if (!content.Headers.TryAddWithoutValidation(name, "x"))
                yield return $"'{name}' cannot be sent as a request header.";
            else if (Body is null)
                yield return $"'{name}' describes a body; add a \"body\" or leave the header out.";
        }
    }

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex Token();
}
