using System.Collections.Concurrent;

namespace Pacer.Emulators;

/// <summary>
/// Live counts of what an emulator was asked and what it injected, for tests and benchmarks. Admin endpoints are not
/// counted. Each emulator adds its own counts in a derived class.
/// </summary>
public class EmulatorCounters
{
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private long _requests;
    private long _serverErrors;
    private long _rateLimits;
    private long _timeouts;
    private long _slowBodies;

    internal EmulatorCounters()
    {
    }

    /// <summary>Every API request that arrived, injected failures included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>500s and 503s injected by <see cref="FaultOptions.ServerErrorRate"/>.</summary>
    public long InjectedServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>429s injected by <see cref="FaultOptions.RateLimitRate"/> (not the API's own limits).</summary>
    public long InjectedRateLimits => Interlocked.Read(ref _rateLimits);

    /// <summary>Requests left hanging by <see cref="FaultOptions.TimeoutRate"/>.</summary>
    public long InjectedTimeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Answers trickled by <see cref="FaultOptions.SlowBodyRate"/>.</summary>
    public long SlowBodies => Interlocked.Read(ref _slowBodies);

    /// <summary>Requests that reached the named method (for example <c>playlistItems.list</c>), whatever it answered.</summary>
    public long Calls(string method) => _calls.TryGetValue(method, out var count) ? count : 0;

    /// <summary>A snapshot of <see cref="Calls"/> for every method called so far.</summary>
    public IReadOnlyDictionary<string, long> CallsByMethod => new Dictionary<string, long>(_calls, StringComparer.Ordinal);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    internal void CountCall(string method) => _calls.AddOrUpdate(method, 1, static (_, count) => count + 1);

    internal void CountServerError() => Interlocked.Increment(ref _serverErrors);

    internal void CountRateLimit() => Interlocked.Increment(ref _rateLimits);

    internal void CountTimeout() => Interlocked.Increment(ref _timeouts);

    internal void CountSlowBody() => Interlocked.Increment(ref _slowBodies);

    /// <summary>The counts as name/value pairs, for the admin endpoint and the CLI.</summary>
    internal virtual IEnumerable<KeyValuePair<string, object>> Describe()
    {
        yield return new("requests", Requests);
        yield return new("injectedServerErrors", InjectedServerErrors);
        yield return new("injectedRateLimits", InjectedRateLimits);
        yield return new("injectedTimeouts", InjectedTimeouts);
        yield return new("slowBodies", SlowBodies);
        yield return new("calls", CallsByMethod);
    }
}
