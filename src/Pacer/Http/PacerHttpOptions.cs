namespace Pacer;

/// <summary>How an <see cref="HttpClient"/> uses Pacer's resources (<c>AddPacerResources</c> on its <c>IHttpClientBuilder</c>).</summary>
public sealed class PacerHttpOptions
{
    /// <summary>Charge every call to this resource. Default: the resource whose <c>Hosts</c> match the request's URL (none: the call passes untouched).</summary>
    public string? Resource { get; set; }

    /// <summary>
    /// Keep the last 200 answer of each GET with an ETag or Last-Modified in the store and ask the server whether it changed
    /// (If-None-Match, If-Modified-Since); a 304 is answered with the stored body. Default false. Calls made inside
    /// <see cref="PacerHttpCache.Bypass"/> skip it.
    /// </summary>
    public bool ConditionalCache { get; set; }

    /// <summary>Timeout of one call. Default: the resource's <c>CallTimeout</c>, else none.</summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>Bodies larger than this are not cached. Default 4 MiB.</summary>
    public int MaxCachedBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// When the server signals a limit (429, quota exceeded), throw <see cref="ResourceUnavailableException"/> after
    /// reporting it, so a job waits for the resource without using an attempt. False returns the answer to the caller
    /// (the limit is still reported). Default true.
    /// </summary>
    public bool ThrowWhenLimited { get; set; } = true;
}
