namespace Pacer;

/// <summary>What a resource's server said, for <see cref="ResourceUnavailableException"/> to apply before the job waits.</summary>
public enum ResourceSignal
{
    /// <summary>Nothing to apply (the feedback was already reported, or the resource is known to be blocked).</summary>
    None,
    /// <summary>Too many requests (429, Retry-After): the resource pauses until then, for every job that claims it.</summary>
    Limited,
    /// <summary>Quota used up: nothing is spent on the resource until its quota window resets.</summary>
    QuotaExhausted,
}

/// <summary>
/// Thrown by a handler (or the HTTP integration) when a resource, not the job, stopped the attempt: the job goes back to
/// waiting for that resource without using an attempt, and the signal, if any, is applied to the resource first.
/// </summary>
public sealed class ResourceUnavailableException : Exception
{
    public ResourceUnavailableException()
        : this("", "The resource is unavailable.")
    {
    }

    public ResourceUnavailableException(string message)
        : this("", message)
    {
    }

    public ResourceUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Resource = "";
    }

    /// <param name="resource">The resource the job waits for.</param>
    /// <param name="retryAt">When to look again, if known; otherwise the resource's own state decides.</param>
    public ResourceUnavailableException(string resource, string message, DateTimeOffset? retryAt = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Resource = resource;
        RetryAt = retryAt;
    }

    public string Resource { get; }

    public DateTimeOffset? RetryAt { get; }

    public ResourceSignal Signal { get; private init; }

    /// <summary>For <see cref="ResourceSignal.Limited"/>: how long the server asked to wait (null: back off on its own).</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>The server said too many requests: pause <paramref name="resource"/> for <paramref name="retryAfter"/> (or a growing backoff).</summary>
    public static ResourceUnavailableException Limited(string resource, TimeSpan? retryAfter, string message) =>
        new(resource, message) { Signal = ResourceSignal.Limited, RetryAfter = retryAfter };

    /// <summary>The server said the quota is used up: spend nothing on <paramref name="resource"/> until its window resets.</summary>
    public static ResourceUnavailableException QuotaExhausted(string resource, string message) =>
        new(resource, message) { Signal = ResourceSignal.QuotaExhausted };
}
