using System.Collections;

namespace Pacer.Sinks;

/// <summary>
/// The keys a destination holds (ordinal strings), safe to read from any thread while one thread adds, and kept in small
/// shards so that it never allocates on the large-object heap.
/// </summary>
/// <remarks>
/// <para>
/// Why not one <see cref="HashSet{T}"/>: a destination of 255,000 videos needs a 4 MB entry array, and each doubling on
/// the way there allocates a new one on the large-object heap, which only a full collection frees and never compacts;
/// with several such sets per destination that growth was a fifth of the channel benchmark's peak memory. In 256 shards
/// an array stays under 85,000 bytes up to about a million keys, and a shard that grows is collected young.
/// </para>
/// <para>
/// A key of up to 16 ASCII characters (a YouTube video id has 11) is held as those 16 bytes, not as its string: 28 bytes
/// a key (entry and bucket, plus the set's spare capacity) instead of about 70, and the row's string is not kept alive
/// by the set. The packing is exact (no hashing), so two keys are the same packed exactly when they are the same string;
/// other keys are held as strings.
/// </para>
/// </remarks>
internal sealed class KeySet : IReadOnlySet<string>
{
    private const int ShardBits = 8;

    private const int MaxPackedLength = 16;

    private readonly HashSet<PackedKey>[] packedShards = new HashSet<PackedKey>[1 << ShardBits];
    private readonly HashSet<string>[] shards = new HashSet<string>[1 << ShardBits];
    private int count;

    public KeySet()
    {
        for (var i = 0; i < shards.Length; i++)
        {
            packedShards[i] = [];
            shards[i] = new HashSet<string>(StringComparer.Ordinal);
        }
    }

    public KeySet(IEnumerable<string> keys)
        : this()
    {
        if (keys is not KeySet other)
        {
            UnionWith(keys);
            return;
        }
        // Shard by shard, as they are: the same hashes choose the same shards, nothing is unpacked, and each copy is
        // sized once.
        for (var i = 0; i < shards.Length; i++)
        {
            lock (other.packedShards[i])
                packedShards[i] = new HashSet<PackedKey>(other.packedShards[i]);
            lock (other.shards[i])
                shards[i] = new HashSet<string>(other.shards[i], StringComparer.Ordinal);
            count += packedShards[i].Count + shards[i].Count;
        }
    }

    public int Count => Volatile.Read(ref count);

    public bool Contains(string item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (TryPack(item, out var packed))
        {
            var packedShard = ShardOf(packed);
            lock (packedShard)
                return packedShard.Contains(packed);
        }
        var shard = ShardOf(item);
        lock (shard)
            return shard.Contains(item);
    }

    /// <returns>Whether <paramref name="key"/> was new.</returns>
    public bool Add(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        bool added;
        if (TryPack(key, out var packed))
        {
            var packedShard = ShardOf(packed);
            lock (packedShard)
                added = packedShard.Add(packed);
        }
        else
        {
            var shard = ShardOf(key);
            lock (shard)
                added = shard.Add(key);
        }
        if (added)
            Interlocked.Increment(ref count);
        return added;
    }

    public void UnionWith(IEnumerable<string> keys)
    {
        if (keys is KeySet other)
        {
            // Shard by shard, without unpacking: the same key falls in the same shard of both sets.
            for (var i = 0; i < shards.Length; i++)
            {
                PackedKey[] packed;
                string[] unpacked;
                lock (other.packedShards[i])
                    packed = [.. other.packedShards[i]];
                lock (other.shards[i])
                    unpacked = [.. other.shards[i]];
                var added = 0;
                lock (packedShards[i])
                {
                    foreach (var key in packed)
                        added += packedShards[i].Add(key) ? 1 : 0;
                }
                lock (shards[i])
                {
                    foreach (var key in unpacked)
                        added += shards[i].Add(key) ? 1 : 0;
                }
                Interlocked.Add(ref count, added);
            }
            return;
        }
        foreach (var key in keys)
            Add(key);
    }

    /// <summary>A copy that later additions to this set do not change.</summary>
    public KeySet Snapshot() => new(this);

    /// <summary>Each shard's keys as they are when it is reached; keys added meanwhile may or may not be seen.</summary>
    public IEnumerator<string> GetEnumerator()
    {
        foreach (var shard in packedShards)
        {
            PackedKey[] keys;
            lock (shard)
                keys = [.. shard];
            foreach (var key in keys)
                yield return Unpack(key);
        }
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

    private HashSet<PackedKey> ShardOf(PackedKey key) =>
        packedShards[(uint)key.GetHashCode() >> (32 - ShardBits)];

    // One byte a character, first character highest. No character is 0, so the leading zero bytes are not part of any
    // key and every packed value reads back as exactly one string.
    private static bool TryPack(string key, out PackedKey packed)
    {
        packed = default;
        if (key.Length > MaxPackedLength)
            return false;
        var value = UInt128.Zero;
        foreach (var c in key)
        {
            if (c is '\0' or > '\x7f')
                return false;
            value = (value << 8) | c;
        }
        packed = new PackedKey((ulong)(value >> 64), (ulong)value);
        return true;
    }

    private static string Unpack(PackedKey key)
    {
        var packed = ((UInt128)key.High << 64) | key.Low;
        Span<char> chars = stackalloc char[MaxPackedLength];
        var start = MaxPackedLength;
        for (; packed != UInt128.Zero; packed >>= 8)
            chars[--start] = (char)(byte)packed;
        return new string(chars[start..]);
    }

    /// <summary>
    /// A packed key as two 8-byte halves: a set entry of 24 bytes, where <see cref="UInt128"/>'s 16-byte alignment made
    /// it 32.
    /// </summary>
    private readonly record struct PackedKey(ulong High, ulong Low)
    {
        public override int GetHashCode() => HashCode.Combine(High, Low);
    }
}
