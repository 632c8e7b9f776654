using Pacer.Resources;

namespace Pacer.Http;

/// <summary>
/// Spaces the calls this process actually sends to a rate-limited resource. Admission hands out permits when jobs start,
/// but a job can stall between its permit and its call (a first call's warm-up, a GC pause, a slow dependency) and then
/// several calls leave at once. The server counts calls, not permits, so each call also waits for its turn here by the
/// same GCRA arithmetic, in memory: it only ever delays a call that would come too close to the previous one.
/// </summary>
/// <remarks>
/// Written here rather than with System.Threading.RateLimiting's token bucket, which refills on a timer tick: at 1,000
/// calls a second that tick would be the limit's whole interval. Each caller is given a send time under the lock and
/// waits outside it, so waiters keep their order and none wakes for nothing.
/// </remarks>
internal sealed class SendPacer(TimeProvider time)
{
    /// <summary>Per resource, the limits the arrival times were kept under: a reload that changes them starts afresh.</summary>
    private readonly Dictionary<string, (IReadOnlyList<RateLimit> Rates, long[] Tats)> _tats = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public async ValueTask WaitTurnAsync(string resource, ResourceDefinition definition, int cost, CancellationToken cancellationToken)
    {
        if (definition.Rates.Count == 0)
            return;
        long at;
        var now = time.GetUtcNow().UtcTicks;
        lock (_lock)
        {
            if (!_tats.TryGetValue(resource, out var kept) || !ReferenceEquals(kept.Rates, definition.Rates))
                _tats[resource] = kept = (definition.Rates, [.. definition.Rates.Select(_ => long.MinValue / 2)]);
            var tats = kept.Tats;
            at = now;
            for (var i = 0; i < tats.Length; i++)
                at = Math.Max(at, definition.Rates[i].EarliestTicks(tats[i], now, cost));
            for (var i = 0; i < tats.Length; i++)
                tats[i] = definition.Rates[i].Take(tats[i], at, cost);
        }
        if (at > now)
            await Task.Delay(TimeSpan.FromTicks(at - now), time, cancellationToken);
    }
}
