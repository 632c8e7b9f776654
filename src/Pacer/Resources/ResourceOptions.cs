namespace Pacer;

/// <summary>
/// One resource: an API, an account or an upstream that jobs claim. Bound from <c>Pacer:Resources:NAME</c>; every
/// value is optional and the ones set all apply together. Validated once at start (see docs/configuration.md).
/// </summary>
/// <remarks>
/// Durations and rates are strings so that the JSON a script writes, an environment variable
/// (<c>PACER__RESOURCES__HOOKS__RATE=50/s</c>) and code all use the same words.
/// A name with a <c>{Field}</c> part (<c>account:{AccountId}</c>) is a template: each value becomes its own partition,
/// created on demand and forgotten when idle.
/// </remarks>
public sealed class ResourceOptions
{
    /// <summary>
    /// Rate limits, all enforced at once: <c>50/s</c>, <c>600/min</c>, <c>10/5s</c>, or several separated by commas
    /// (<c>60/min, 10/s</c>). Units: ms, s, min, h, d. Default: none.
    /// </summary>
    public string? Rate { get; set; }

    /// <summary>
    /// How many permits of each rate limit may be taken back to back after an idle spell. Default 1: calls are spaced
    /// evenly and no window of the limit's period ever holds more than its permits. A larger burst lets a late
    /// dispatcher catch up, at the price of up to Burst - 1 extra permits in one period.
    /// </summary>
    public int? Burst { get; set; }

    /// <summary>At most this many units held at once by running jobs (e.g. 1: one session per account). Default: none.</summary>
    public int? Concurrency { get; set; }

    /// <summary>
    /// A budget of units per window: <c>10000/day@America/Los_Angeles</c> (resets at that zone's midnight, DST-aware),
    /// <c>500/hour</c>, <c>100/min</c>. The zone defaults to UTC. Default: none.
    /// </summary>
    public string? Quota { get; set; }

    /// <summary>A circuit breaker that stops dispatch while the resource fails. Default: none.</summary>
    public BreakerOptions? Breaker { get; set; }

    /// <summary>
    /// Requests to these hosts are this resource's calls: <c>api.example.org</c>, <c>127.0.0.1:8080</c>, or with a path
    /// prefix <c>www.googleapis.com/youtube</c>. The built-in http kind claims the resource for such URLs, and the HTTP
    /// integration charges its calls to it.
    /// </summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary>
    /// Units one HTTP call costs, by <c>METHOD /path-prefix</c> (longest prefix wins), e.g.
    /// <c>{"GET /youtube/v3/search": 100}</c>; <c>*</c> sets the default. Default: 1 per call.
    /// </summary>
    public Dictionary<string, int> Costs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Timeout of one HTTP call through the integration, e.g. <c>10s</c>. Default: none (the job's timeout applies).</summary>
    public string? CallTimeout { get; set; }
}

/// <summary>
/// Opens on a failure ratio or on consecutive failures, stays open for <see cref="Break"/> (doubling on repeated opens up
/// to <see cref="MaxBreak"/>), then half-opens: up to <see cref="Probes"/> jobs run; one success closes it, a failure reopens it.
/// </summary>
public sealed class BreakerOptions
{
    /// <summary>Open when at least this share of the calls in a sampling window failed (0 to 1), once <see cref="MinimumCalls"/> were seen.</summary>
    public double? FailureRatio { get; set; }

    /// <summary>Calls a sampling window needs before <see cref="FailureRatio"/> is judged. Default 10.</summary>
    public int MinimumCalls { get; set; } = 10;

    /// <summary>Length of a sampling window; counts start again in each. Default <c>30s</c>.</summary>
    public string SamplingDuration { get; set; } = "30s";

    /// <summary>Open after this many failures in a row, whatever the ratio. Default: none.</summary>
    public int? ConsecutiveFailures { get; set; }

    /// <summary>How long the breaker stays open the first time. Default <c>30s</c>.</summary>
    public string Break { get; set; } = "30s";

    /// <summary>The longest break after repeated opens (each reopen doubles the last break). Default <c>5min</c>.</summary>
    public string MaxBreak { get; set; } = "5min";

    /// <summary>Jobs (or calls) let through at once while half-open. Default 1.</summary>
    public int Probes { get; set; } = 1;
}
