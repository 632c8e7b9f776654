namespace Pacer;

/// <summary>Exponential backoff with full jitter (AWS architecture blog's "full jitter"): spreads retries so they do not hammer an API in waves.</summary>
internal static class RetryBackoff
{
    /// <summary>Delay before the retry that follows failed attempt <paramref name="attempt"/> (1-based).</summary>
    public static TimeSpan NextDelay(RetryOptions options, int attempt, IRandomSource random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        var ceilingTicks = options.BaseDelay.Ticks * Math.Pow(2, exponent);
        var capped = Math.Min(ceilingTicks, options.MaxDelay.Ticks);
        var ticks = options.UseJitter ? capped * random.NextDouble() : capped;
        return TimeSpan.FromTicks((long)ticks);
    }
}
