namespace Pacer.BuiltIn;

/// <summary>Fixed values of the <c>http</c> kind, in one place.</summary>
internal static class HttpJobDefaults
{
    /// <summary>Name of the <see cref="HttpClient"/> registered with IHttpClientFactory.</summary>
    public const string ClientName = "Pacer.Http";

    public const string UserAgent = "Pacer";

    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Longest <c>Retry-After</c> honoured: a server asking for more is still paced, just not for days on end.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromDays(1);

    /// <summary>How much of an error answer's body is read and kept in the job's error.</summary>
    public const int ExcerptBytes = 1024;

    public const int ExcerptChars = 200;

    public static string IdempotencyKey(long jobId) => $"pacer-{jobId}";
}
