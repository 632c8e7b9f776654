using System.Globalization;
using System.Text.RegularExpressions;

namespace Pacer.Resources;

/// <summary>Why a claim cannot be granted now.</summary>
internal enum BlockReason { None, Paused, BreakerOpen, BreakerProbing, Quota, Concurrency, Rate }

/// <summary>The answer to "can this cost be granted now?": yes, or no with the earliest time it could be (null: unknown, e.g. until a permit is returned).</summary>
internal readonly record struct Verdict(BlockReason Reason, long? RetryAtTicks)
{
    public static Verdict Allow => new(BlockReason.None, null);

    public bool Allowed => Reason == BlockReason.None;
}

/// <summary>
/// A configured resource (or template of partitions) and the rules that act on its <see cref="ResourceState"/>. Every
/// method is a pure function of the state, the time and the arguments, so admission can run inside one store
/// transaction and the same arithmetic holds on every process.
/// </summary>
internal sealed partial class ResourceDefinition
{
    private readonly Regex? _pattern;

    /// <summary>Time per permit of each rate limit, written beside the arrival times they were computed with.</summary>
    private readonly long[] _intervals;

    public ResourceDefinition(
        string name,
        IReadOnlyList<RateLimit> rates,
        int? concurrency,
        QuotaRule? quota,
        BreakerRule? breaker,
        IReadOnlyList<HostRule> hosts,
        CostTable costs,
        TimeSpan? callTimeout)
    {
        Name = name;
        Rates = rates;
        Concurrency = concurrency;
        Quota = quota;
        Breaker = breaker;
        Hosts = hosts;
        Costs = costs;
        CallTimeout = callTimeout;
        _intervals = [.. rates.Select(r => r.IntervalTicks)];
        TemplateFields = [.. TemplatePart().Matches(name).Select(m => m.Groups[1].Value)];
        if (TemplateFields.Count > 0)
        {
            // account:{AccountId} matches account:<anything>; the literal parts must match exactly.
            var regex = "^" + string.Concat(TemplatePart().Split(name).Select((part, i) => i % 2 == 0 ? Regex.Escape(part) : "(.+)")) + "$";
            _pattern = new Regex(regex, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>A resource nobody configured: it limits nothing, but a pause set on its name still holds.</summary>
    public static ResourceDefinition Unlimited(string name) => new(name, [], null, null, null, [], CostTable.Empty, null);

    /// <summary>The configured name; for a template, with its <c>{Field}</c> parts.</summary>
    public string Name { get; }

    public IReadOnlyList<RateLimit> Rates { get; }

    public int? Concurrency { get; }

    public QuotaRule? Quota { get; }

    public BreakerRule? Breaker { get; }

    public IReadOnlyList<HostRule> Hosts { get; }

    public CostTable Costs { get; }

    public TimeSpan? CallTimeout { get; }

    /// <summary>Argument fields a template name is built from (empty for a plain resource).</summary>
    public IReadOnlyList<string> TemplateFields { get; }

    public bool IsTemplate => TemplateFields.Count > 0;

    /// <summary>True when a claim on <paramref name="resource"/> is governed by this definition.</summary>
    public bool Governs(string resource) => _pattern is null ? string.Equals(resource, Name, StringComparison.Ordinal) : _pattern.IsMatch(resource);

    /// <summary>How long what the server let through before a refusal is remembered (<see cref="ResourceState.QuotaObserved"/>).</summary>
    public static readonly TimeSpan QuotaObservedFor = TimeSpan.FromDays(7);

    /// <summary>How long a probe let through while half-open counts before its place frees up without a report.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromMinutes(1);

    // ----- time passing -----

    /// <summary>Applies what time alone changes: pauses and holds expire, quota windows and sampling windows roll, an open breaker half-opens.</summary>
    /// <returns>True if the state changed (and should be written back).</returns>
    public bool Normalize(ResourceState state, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        var changed = false;
        if (state.Pause is { Until: { } until } && until <= ticks)
        {
            state.Pause = null;
            changed = true;
        }
        if (state.Holds is { Count: > 0 } holds && holds.RemoveAll(h => h.Expires <= ticks) > 0)
            changed = true;
        if (Rates.Count > 0 && state.Tat is { } tat && state.Intervals is { } intervals && !intervals.AsSpan().SequenceEqual(_intervals))
        {
            state.Tat = Rescale(tat, intervals, ticks);
            state.Intervals = _intervals;
            changed = true;
        }
        if (Quota is not null && state.Quota is { } quota)
        {
            var window = Quota.WindowAt(now).Start.UtcTicks;
            if (quota.Window != window)
            {
                state.Quota = null;
                changed = true;
            }
            else if (quota.ExhaustedUntil is { } exhausted && exhausted <= ticks)
            {
                quota.ExhaustedUntil = null;
                changed = true;
            }
        }
        if (state.QuotaObservedUntil is { } forget && forget <= ticks)
        {
            state.QuotaObserved = null;
            state.QuotaObservedUntil = null;
            changed = true;
        }
        if (Breaker is not null && state.Breaker is { } breaker)
        {
            if (breaker.Phase == BreakerPhase.Open && breaker.OpenUntil <= ticks)
            {
                breaker.Phase = BreakerPhase.HalfOpen;
                breaker.Probes = [];
                changed = true;
            }
            if (breaker.Phase == BreakerPhase.HalfOpen && breaker.Probes is { Count: > 0 } probes && probes.RemoveAll(p => p <= ticks) > 0)
                changed = true;
            if (breaker.Phase == BreakerPhase.Closed && (breaker.Successes > 0 || breaker.Failures > 0) && ticks >= breaker.Window + Breaker.Sampling.Ticks)
            {
                breaker.Window = ticks;
                breaker.Successes = 0;
                breaker.Failures = 0;
                changed = true;
            }
        }
        return changed;
    }

    // ----- admission -----

    /// <summary>Whether <paramref name="cost"/> can be granted at <paramref name="now"/>.</summary>
    /// <param name="tats">The rate limits' arrival times to judge by (the state's, or a copy advanced by reservations).</param>
    /// <param name="inUse">Units held now by running jobs and holds.</param>
    /// <param name="quotaCost">What the grant takes from the quota, when less than <paramref name="cost"/> (units reserved before); default: the cost.</param>
    public Verdict Check(ResourceState state, long[]? tats, int cost, DateTimeOffset now, int inUse, int? quotaCost = null)
    {
        var ticks = now.UtcTicks;
        if (state.Pause is { } pause)
            return new Verdict(BlockReason.Paused, pause.Until);
        if (Breaker is not null && state.Breaker is { } breaker)
        {
            if (breaker.Phase == BreakerPhase.Open)
                return new Verdict(BlockReason.BreakerOpen, breaker.OpenUntil);
            if (breaker.Phase == BreakerPhase.HalfOpen && (breaker.Probes?.Count ?? 0) >= Breaker.Probes)
                return new Verdict(BlockReason.BreakerProbing, null);
        }
        if (Quota is not null)
        {
            var (_, end) = Quota.WindowAt(now);
            if (state.Quota is { ExhaustedUntil: { } exhausted })
                return new Verdict(BlockReason.Quota, exhausted);
            if ((quotaCost ?? cost) > 0 && (state.Quota?.Used ?? 0) + (quotaCost ?? cost) > Quota.Units)
                return new Verdict(BlockReason.Quota, end.UtcTicks);
        }
        if (Concurrency is { } cap && inUse > 0 && inUse + cost > cap)
            return new Verdict(BlockReason.Concurrency, null);
        if (Rates.Count > 0)
        {
            long earliest = ticks;
            for (var i = 0; i < Rates.Count; i++)
                earliest = Math.Max(earliest, Rates[i].EarliestTicks(TatOf(tats, i), ticks, cost));
            if (earliest > ticks)
                return new Verdict(BlockReason.Rate, earliest);
        }
        return Verdict.Allow;
    }

    /// <summary>
    /// Whether <paramref name="cost"/> units can be reserved for a job's calls: as <see cref="Check"/> judges a quota, and
    /// also within what the server let through in a window before it refused (<see cref="ResourceState.QuotaObserved"/>).
    /// Only reservations are held to that figure: they start work that is lost if cut off, while single calls go ahead
    /// and the server's answer stays the judge.
    /// </summary>
    public Verdict CheckReservation(ResourceState state, int cost, DateTimeOffset now)
    {
        var verdict = Check(state, tats: null, cost, now, inUse: 0);
        if (verdict.Reason != BlockReason.Quota && Quota is not null && state.QuotaObserved is { } observed && (state.Quota?.Used ?? 0) + cost > observed)
            return new Verdict(BlockReason.Quota, Quota.WindowAt(now).End.UtcTicks);
        return verdict.Reason == BlockReason.Quota ? verdict : Verdict.Allow;
    }

    /// <summary>Takes <paramref name="cost"/> from the state (after a <see cref="Check"/> that allowed it).</summary>
    public void Grant(ResourceState state, int cost, DateTimeOffset now, int? quotaCost = null)
    {
        var ticks = now.UtcTicks;
        if (Rates.Count > 0)
        {
            state.Tat = Advance(state.Tat, ticks, cost);
            state.Intervals = _intervals;
        }
        if (Quota is not null)
        {
            state.Quota ??= new QuotaData { Window = Quota.WindowAt(now).Start.UtcTicks };
            state.Quota.Used += quotaCost ?? cost;
            ForgetObservedQuotaPassed(state);
        }
        if (Breaker is not null && state.Breaker is { Phase: BreakerPhase.HalfOpen } breaker)
            (breaker.Probes ??= []).Add(ticks + ProbeTimeout.Ticks);
    }

    /// <summary>
    /// Once the server has let clearly more through in a window than the remembered figure, and has refused nothing in
    /// it, its budget has grown (a raised quota, another client spending less): the figure is forgotten, or reservations
    /// would be held to an old budget for the rest of its week. The margin, a hundredth of the quota, covers the calls in
    /// flight at the window's turn, which Pacer's count and the server's may put on different days. A budget still short
    /// is learned again at the next refusal.
    /// </summary>
    private void ForgetObservedQuotaPassed(ResourceState state)
    {
        if (state.QuotaObserved is { } observed && state.Quota is { SpentAtRefusal: null } quota
            && quota.Used - quota.Unspent >= observed + Math.Max(1, Quota!.Units / 100))
        {
            state.QuotaObserved = null;
            state.QuotaObservedUntil = null;
        }
    }

    /// <summary>The rate limits' arrival times after granting <paramref name="cost"/> at <paramref name="at"/>.</summary>
    public long[] Advance(long[]? tats, long at, int cost)
    {
        var next = new long[Rates.Count];
        for (var i = 0; i < Rates.Count; i++)
            next[i] = Rates[i].Take(TatOf(tats, i), at, cost);
        return next;
    }

    /// <summary>
    /// Arrival times kept under other limits (the configuration was reloaded, or another process has another one), carried
    /// over as the permits still owed: 3 permits of debt under 1/min become 3 permits under 100/s. Raising a limit takes
    /// effect at once rather than after the old limit's next permit, and lowering one does not forget the debt.
    /// </summary>
    private long[] Rescale(long[] tats, long[] intervals, long now)
    {
        var next = new long[Rates.Count];
        for (var i = 0; i < next.Length; i++)
        {
            next[i] = i < tats.Length && i < intervals.Length && tats[i] > now && intervals[i] > 0
                ? now + (long)Int128.Min((Int128)(tats[i] - now) * _intervals[i] / intervals[i], long.MaxValue / 4)
                : long.MinValue / 2;
        }
        return next;
    }

    private static long TatOf(long[]? tats, int i) => tats is not null && i < tats.Length ? tats[i] : long.MinValue / 2;

    /// <summary>Units held outside jobs (RateLimiter leases) that have not expired.</summary>
    public static int HeldOutsideJobs(ResourceState state) => state.Holds?.Sum(h => h.Cost) ?? 0;

    // ----- feedback -----

    /// <summary>A call or job using the resource succeeded: a half-open breaker closes.</summary>
    /// <returns>True if the breaker closed (waiting jobs can be woken).</returns>
    public bool RecordSuccess(ResourceState state, DateTimeOffset now)
    {
        state.LimitedStreak = 0;
        if (Breaker is null)
            return false;
        var breaker = state.Breaker ??= new BreakerData { Window = now.UtcTicks };
        switch (breaker.Phase)
        {
            case BreakerPhase.HalfOpen:
                state.Breaker = new BreakerData { Window = now.UtcTicks };
                return true;
            case BreakerPhase.Closed:
                breaker.Successes++;
                breaker.Consecutive = 0;
                return false;
            default:
                return false; // a late report from before it opened changes nothing
        }
    }

    /// <summary>A call or job using the resource failed because of the resource.</summary>
    /// <returns>True if the breaker is open after this failure (it opened now or was open).</returns>
    public bool RecordFailure(ResourceState state, DateTimeOffset now)
    {
        if (Breaker is null)
            return false;
        var breaker = state.Breaker ??= new BreakerData { Window = now.UtcTicks };
        switch (breaker.Phase)
        {
            case BreakerPhase.Open:
                return true;
            case BreakerPhase.HalfOpen:
                Open(breaker, now);
                return true;
        }
        breaker.Failures++;
        breaker.Consecutive++;
        var calls = breaker.Successes + breaker.Failures;
        var tripped = (Breaker.ConsecutiveFailures is { } run && breaker.Consecutive >= run)
            || (Breaker.FailureRatio is { } ratio && calls >= Breaker.MinimumCalls && breaker.Failures >= ratio * calls);
        if (tripped)
            Open(breaker, now);
        return tripped;
    }

    private void Open(BreakerData breaker, DateTimeOffset now)
    {
        breaker.Phase = BreakerPhase.Open;
        breaker.Opens++;
        breaker.OpenUntil = (now + Breaker!.BreakFor(breaker.Opens)).UtcTicks;
        breaker.Successes = 0;
        breaker.Failures = 0;
        breaker.Consecutive = 0;
        breaker.Probes = null;
    }

    /// <summary>The server said "too many requests": pause until it said, or back off further each time it did not say.</summary>
    /// <param name="acceptedAt">When the last call this process had accepted was sent, if it knows: one sent after the last
    /// pause ended shows the limit let calls through again, so the streak starts over.</param>
    public DateTimeOffset RecordLimited(ResourceState state, DateTimeOffset now, TimeSpan? retryAfter, string reason, DateTimeOffset? acceptedAt = null)
    {
        // Successes are not stored for a resource without a breaker (a store write per call would cost more than the
        // streak is worth). So the streak starts over when the reporting process had a call accepted since the last pause
        // ended, or else when the signal comes as long after that pause as the streak's step. Without the first, a server
        // that refuses one call in fifty (a 429 every few seconds, most calls accepted) paused the resource a minute
        // after a few of them; without the second, a 429 now and then, days apart, did the same.
        if (state.LimitedUntil is { } last
            && (now.UtcTicks >= last + LimitedBackoff(state.LimitedStreak).Ticks || acceptedAt?.UtcTicks >= last))
            state.LimitedStreak = 0;
        state.LimitedStreak++;
        var wait = retryAfter ?? LimitedBackoff(state.LimitedStreak);
        var until = now + wait;
        state.LimitedUntil = Math.Max(state.LimitedUntil ?? 0, until.UtcTicks);
        if (state.Pause is { Manual: true })
            return until; // an operator's pause outranks the server's; it still matters for the caller
        if (state.Pause is not { Until: { } current } || current < until.UtcTicks)
            state.Pause = new PauseData { Until = until.UtcTicks, Reason = reason };
        return until;
    }

    /// <summary>1 s for the first limit signal of a streak, doubling up to a minute.</summary>
    private static TimeSpan LimitedBackoff(int streak) => TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Clamp(streak - 1, 0, 6))));

    /// <summary>
    /// The server said the quota is used up: spend nothing until the window resets (an hour without a quota rule). When
    /// that came before the configured quota was spent, remember what the server let through (see
    /// <see cref="ResourceState.QuotaObserved"/>): what was spent at its first refusal, less the calls it refused.
    /// </summary>
    /// <param name="refusedUnits">What the refused call was charged (0 when the caller does not know).</param>
    public DateTimeOffset RecordQuotaExhausted(ResourceState state, DateTimeOffset now, string reason, int refusedUnits = 0)
    {
        if (Quota is null)
            return RecordLimited(state, now, TimeSpan.FromHours(1), reason);
        var (start, end) = Quota.WindowAt(now);
        var quota = state.Quota ??= new QuotaData { Window = start.UtcTicks };
        quota.SpentAtRefusal ??= quota.Used - quota.Unspent;
        quota.Refused += refusedUnits;
        var allowed = Math.Max(0, quota.SpentAtRefusal.Value - quota.Refused);
        if (allowed < Quota.Units)
        {
            state.QuotaObserved = allowed;
            state.QuotaObservedUntil = (now + QuotaObservedFor).UtcTicks;
        }
        quota.ExhaustedUntil = end.UtcTicks;
        return end;
    }

    // ----- display -----

    /// <summary>Why a job waits, in words an operator reads in <c>pacer jobs list</c>.</summary>
    public string Describe(string resource, ResourceState state, Verdict verdict, DateTimeOffset now) => verdict.Reason switch
    {
        BlockReason.Paused => $"waiting for {resource}: paused" + (state.Pause is { } p ? (p.Until is { } u ? $" until {Time(u)}" : " until resumed") + (p.Reason.Length > 0 ? $" ({p.Reason})" : "") : ""),
        BlockReason.BreakerOpen => $"waiting for {resource}: circuit open until {Time(verdict.RetryAtTicks ?? now.UtcTicks)}",
        BlockReason.BreakerProbing => $"waiting for {resource}: circuit half-open, probe running",
        BlockReason.Quota => $"waiting for {resource} quota ({Quota}" +
            (state.QuotaObserved is { } observed ? string.Create(CultureInfo.InvariantCulture, $"; the server let {observed:N0} through before it said no") : "") +
            $"), resets {Time(verdict.RetryAtTicks ?? now.UtcTicks)}",
        BlockReason.Concurrency => $"waiting for {resource}: {Concurrency} of {Concurrency} in use",
        BlockReason.Rate => $"waiting for {resource} rate ({string.Join(", ", Rates)}) until {Time(verdict.RetryAtTicks ?? now.UtcTicks)}",
        _ => $"waiting for {resource}",
    };

    internal static string Time(long ticks) =>
        new DateTimeOffset(ticks, TimeSpan.Zero).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>True when the state holds nothing time has not already undone, so an idle partition can be forgotten.</summary>
    public static bool IsAtRest(ResourceState state, long nowTicks) =>
        state.Pause is null
        && (state.Holds is null || state.Holds.Count == 0)
        && (state.Quota is null || (state.Quota.Used == 0 && state.Quota.ExhaustedUntil is null))
        && state.QuotaObserved is null
        && (state.Breaker is null || (state.Breaker.Phase == BreakerPhase.Closed && state.Breaker.Failures == 0 && state.Breaker.Opens == 0))
        && (state.Tat is null || state.Tat.All(t => t <= nowTicks));

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex TemplatePart();
}
