namespace Pacer.Sinks.Tests;

public sealed class KeySetTests
{
    [Fact]
    public void Add_CountsEachKeyOnce_AndComparesOrdinally()
    {
        var set = new KeySet();

        Assert.True(set.Add("dQw4w9WgXcQ"));
        Assert.False(set.Add("dQw4w9WgXcQ"));
        Assert.True(set.Add("DQW4W9WGXCQ"));

        Assert.Equal(2, set.Count);
        Assert.Contains("dQw4w9WgXcQ", set);
        Assert.DoesNotContain("dqw4w9wgxcq", set);
    }

    [Fact]
    public void ManyKeys_AllFoundAndEnumeratedOnce()
    {
        var keys = Enumerable.Range(0, 100_000).Select(i => $"video-{i}").ToArray();

        var set = new KeySet(keys);

        Assert.Equal(keys.Length, set.Count);
        Assert.All(keys, k => Assert.True(set.Contains(k)));
        Assert.Equal(keys.Order(StringComparer.Ordinal), set.Order(StringComparer.Ordinal));
        Assert.False(set.Contains("video-100000"));
    }

    [Theory]
    [InlineData("a", "\0a")]
    [InlineData("ab", "ba")]
    [InlineData("dQw4w9WgXcQ", "dQw4w9WgXcQ ")]
    [InlineData("0123456789abcdef", "0123456789abcdef0")]
    [InlineData("video", "vidéo")]
    [InlineData("\u0001", "\u0001\u0001")]
    public void ShortAsciiKeysAndOthers_AreToldApart_AndReadBackExactly(string one, string other)
    {
        var set = new KeySet();

        Assert.True(set.Add(one));
        Assert.False(set.Contains(other));
        Assert.True(set.Add(other));
        Assert.False(set.Add(one));
        Assert.False(set.Add(other));

        Assert.Equal(2, set.Count);
        Assert.Equal(new[] { one, other }.Order(StringComparer.Ordinal), set.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Snapshot_DoesNotSeeLaterAdditions()
    {
        var set = new KeySet(["a", "b"]);

        var snapshot = set.Snapshot();
        set.Add("c");

        Assert.Equal(2, snapshot.Count);
        Assert.False(snapshot.Contains("c"));
        Assert.True(set.Contains("c"));
    }

    [Fact]
    public void UnionWithAnotherKeySet_AddsWhatIsNew_PackedOrNot()
    {
        var set = new KeySet(["a", "b", "a long key of more than sixteen characters"]);
        var other = new KeySet(["b", "c", "a long key of more than sixteen characters", "another key longer than sixteen"]);

        set.UnionWith(other);

        Assert.Equal(5, set.Count);
        Assert.True(set.SetEquals(["a", "b", "c", "a long key of more than sixteen characters", "another key longer than sixteen"]));
        Assert.Equal(4, other.Count);
    }

    [Fact]
    public void SetComparisons_AnswerAsHashSetDoes()
    {
        var set = new KeySet(["a", "b", "c"]);

        Assert.True(set.SetEquals(["c", "b", "a", "a"]));
        Assert.True(set.IsSupersetOf(["a", "b"]));
        Assert.True(set.IsProperSupersetOf(["a", "b"]));
        Assert.False(set.IsProperSupersetOf(["a", "b", "c"]));
        Assert.True(set.IsSubsetOf(["a", "b", "c", "d"]));
        Assert.True(set.IsProperSubsetOf(["a", "b", "c", "d"]));
        Assert.False(set.IsProperSubsetOf(["a", "b", "c"]));
        Assert.True(set.Overlaps(["z", "c"]));
        Assert.False(set.Overlaps(["z"]));
    }

    [Fact]
    public async Task ReadersOnOtherThreads_WhileOneThreadAdds_FindEveryKeyAddedBeforeTheyLooked()
    {
        var set = new KeySet();
        var added = 0;
        using var stop = new CancellationTokenSource();

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var misses = 0;
            while (!stop.IsCancellationRequested)
            {
                var upTo = Volatile.Read(ref added);
                for (var i = Math.Max(0, upTo - 500); i < upTo; i++)
                {
                    if (!set.Contains($"k{i}"))
                        misses++;
                }
            }
            return misses;
        })).ToArray();
        for (var i = 0; i < 200_000; i++)
        {
            set.Add($"k{i}");
            Volatile.Write(ref added, i + 1);
        }
        await stop.CancelAsync();

        Assert.All(await Task.WhenAll(readers), misses => Assert.Equal(0, misses));
        Assert.Equal(200_000, set.Count);
    }
}
