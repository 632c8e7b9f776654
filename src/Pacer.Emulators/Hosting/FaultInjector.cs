namespace Pacer.Emulators.Hosting;

internal enum InjectedFault
{
    None,
    ServerError,
    RateLimit,
    Timeout,
}

/// <summary>What happens to one request before the API sees it.</summary>
internal readonly record struct FaultDecision(TimeSpan Delay, InjectedFault Fault, int StatusCode, bool SlowBody);

/// <summary>
/// Decides each request's latency and fault from (seed, arrival number) alone, without shared random state, so the
/// n-th request of a run meets the same fate in every run with the same seed, whichever thread serves it.
/// </summary>
internal sealed class FaultInjector
{
    private readonly long _seed;
    private readonly TimeSpan _latency;
    private readonly TimeSpan _jitter;
    private readonly double _timeoutBelow;
    private readonly double _serverErrorBelow;
    private readonly double _rateLimitBelow;
    private readonly double _slowBodyRate;
    private long _arrivals;

    public FaultInjector(EmulatorOptions options)
    {
        _seed = options.Seed;
        _latency = options.Latency;
        _jitter = options.LatencyJitter;
        var faults = options.Faults;
        // One roll against cumulative thresholds: the three faults exclude each other.
        _timeoutBelow = faults.TimeoutRate;
        _serverErrorBelow = _timeoutBelow + faults.ServerErrorRate;
        _rateLimitBelow = _serverErrorBelow + faults.RateLimitRate;
        _slowBodyRate = faults.SlowBodyRate;
    }

    public FaultDecision Next()
    {
        var arrival = Interlocked.Increment(ref _arrivals);
        // A stream of its own per request; always the same four draws, so one rate never shifts another's decisions.
        var random = new SeededRandom(_seed, 0xFA17_0000_0000_0000UL ^ (ulong)arrival);
        var jitter = random.NextDouble();
        var roll = random.NextDouble();
        var pick = random.NextDouble();
        var slow = random.NextDouble();

        var delay = _latency + _jitter * jitter;
        var fault = roll < _timeoutBelow ? InjectedFault.Timeout
            : roll < _serverErrorBelow ? InjectedFault.ServerError
            : roll < _rateLimitBelow ? InjectedFault.RateLimit
            : InjectedFault.None;
        var status = fault switch
        {
            InjectedFault.ServerError => pick < 0.5 ? 500 : 503,
            InjectedFault.RateLimit => 429,
            _ => 0,
        };
        return new FaultDecision(delay, fault, status, fault == InjectedFault.None && slow < _slowBodyRate);
    }
}
