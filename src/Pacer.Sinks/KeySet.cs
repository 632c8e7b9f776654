using System.Collections;

namespace Pacer.Sinks;

/// <summary>
/// The keys a destination holds (ordinal strings), safe to read from any thread while one thread adds, and kept in small
/// shards so that it never allocates on the large-object heap.
/// </summary>
/// <remarks>
/// Why not one <see cref="HashSet{T}"/>: a destination of 255,000 videos needs a 4 MB entry array, and each doubling on
/// the way there allocates a new one on the large-object heap, which only a full collection frees and never compacts;
/// with several such sets per destination that growth was a fifth of the channel benchmark's peak memory. In 256 shards
/// an array stays under 85,000 bytes up to about a million keys, and a shard that grows is collected young.
/// </remarks>
internal sealed class KeySet : IReadOnlySet<string>
{
    private const int ShardBits = 8;

    private readonly HashSet<string>[] shards = new HashSet<string>[1 << ShardBits];
    private int count;

    public KeySet()
    {
        for (var i = 0; i < shards.Length; i++)
            shards[i] = new HashSet<string>(StringComparer.Ordinal);
    }

    public KeySet(IEnumerable<string> keys)
        : this() => UnionWith(keys);

    public int Count => Volatile.Read(ref count);

    public bool Contains(string item)
    {
        var shard = ShardOf(item);
        lock (shard)
            return shard.Contains(item);
    }

    /// <returns>Whether <paramref name="key"/> was new.</returns>
    public bool Add(string key)
    {
        var shard = ShardOf(key);
        bool added;
        lock (shard)
            added = shard.Add(key);
        if (added)
            Interlocked.Increment(ref count);
        return added;
    }

    public void UnionWith(IEnumerable<string> keys)
    {
        foreach (var key in keys)
            Add(key);
    }

    /// <summary>A copy that later additions to this set do not change.</summary>
    public KeySet Snapshot() => new(this);

    /// <summary>Each shard's keys as they are when it is reached; keys added meanwhile may or may not be seen.</summary>
    public IEnumerator<string> GetEnumerator()
    {
        foreach (var shard in shards)
        {
            string[] keys;
            lock (shard)
                keys = [.. shard];
            foreach (var key in keys)
                yield return key;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsSubsetOf(IEnumerable<string> other)
    {
        var others = AsSet(other);
        return this.All(others.Contains);
    }

    public bool IsProperSubsetOf(IEnumerable<string> other)
    {
        var others = AsSet(other);
        return Count < others.Count && this.All(others.Contains);
    }

    public bool IsSupersetOf(IEnumerable<string> other) => other.All(Contains);

    public bool IsProperSupersetOf(IEnumerable<string> other)
    {
        var others = AsSet(other);
        return Count > others.Count && others.All(Contains);
    }

    public bool Overlaps(IEnumerable<string> other) => other.Any(Contains);

    public bool SetEquals(IEnumerable<string> other)
    {
        var others = AsSet(other);
        return Count == others.Count && others.All(Contains);
    }

    private static IReadOnlySet<string> AsSet(IEnumerable<string> other) =>
        other as IReadOnlySet<string> ?? new HashSet<string>(other, StringComparer.Ordinal);

    // The top bits choose the shard; each shard's HashSet uses the whole hash modulo its prime size, so shards stay even.
    private HashSet<string> ShardOf(string key) =>
        shards[(uint)StringComparer.Ordinal.GetHashCode(key) >> (32 - ShardBits)];
}
