namespace Pacer.Emulators.Hosting;

/// <summary>
/// SplitMix64: a tiny, fast generator whose sequence for a seed is fixed forever (unlike <see cref="Random"/>,
/// whose algorithm may change between runtimes), so a seed names the same data set and the same faults on every
/// machine. Not thread-safe: each user owns one, or uses <see cref="Hash"/> for stateless draws.
/// </summary>
internal struct SeededRandom
{
    private ulong _state;

    public SeededRandom(long seed, ulong stream = 0) => _state = Hash((ulong)seed, stream);

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Finish(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, maxExclusive).</summary>
    public int Next(int min, int maxExclusive)
    {
        if (maxExclusive <= min)
            return min;
        return min + (int)(NextUInt64() % (ulong)(maxExclusive - min));
    }

    public long NextInt64(long min, long maxExclusive) =>
        maxExclusive <= min ? min : min + (long)(NextUInt64() % (ulong)(maxExclusive - min));

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count)];

    /// <summary>A stateless draw: the same (seed, n) always gives the same number, whatever thread asks.</summary>
    public static ulong Hash(ulong seed, ulong n) => Finish(seed * 0x9E3779B97F4A7C15UL + n + 0x632BE59BD9B4E019UL);

    private static ulong Finish(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
