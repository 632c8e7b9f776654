using System.Collections.Concurrent;

namespace Pacer.Sinks.Conformance;

/// <summary>What the table sink contract promises, checked against every sink: one derived class per sink.</summary>
public abstract class TableSinkContractTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected TempDirectory Temp { get; } = new();

    /// <summary>A new sink on this test's destination (the same one every call, as a new run would see it).</summary>
    protected abstract ITableSink CreateSink();

    protected abstract bool DestinationExists();

    /// <summary>The destination's header and rows as the destination holds them, read without the sink, values typed by column kind.</summary>
    protected abstract Task<ReadBack> ReadBackAsync(TableSchema schema);

    /// <summary>A word every message about this destination names (the file or the table).</summary>
    protected abstract string NameInMessages { get; }

    protected virtual IReadOnlyList<string> HeaderOf(TableSchema schema) => [.. schema.Columns.Select(c => c.Name)];

    /// <summary>False where an empty text and a missing value are stored the same (a CSV field).</summary>
    protected virtual bool KeepsEmptyTextApartFromNull => true;

    public void Dispose()
    {
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Open_NewDestination_ReturnsNoKeysAndCreatesNothing()
    {
        await using var sink = CreateSink();
        var keys = await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Empty(keys);
        Assert.False(DestinationExists());
    }

    [Fact]
    public async Task Write_EmptyList_WritesNothingAndCreatesNothing()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        var result = await sink.WriteAsync([], CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(new SinkWriteResult(0, 0), result);
        Assert.False(DestinationExists());
    }

    [Fact]
    public async Task Write_SeveralBatches_HeaderOnceThenEveryRowInOrder()
    {
        await using (var sink = CreateSink())
        {
            await sink.OpenAsync(Rows.Videos, CancellationToken.None);
            Assert.Equal(new SinkWriteResult(2, 0), await sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None));
            Assert.Equal(new SinkWriteResult(2, 0), await sink.WriteAsync(Rows.Of("c", "d"), CancellationToken.None));
            await sink.CompleteAsync(CancellationToken.None);
        }

        var back = await ReadBackAsync(Rows.Videos);
        Assert.Equal(HeaderOf(Rows.Videos), back.Header);
        Assert.Equal(["a", "b", "c", "d"], back.Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Open_AfterARun_ReturnsTheKeysWritten()
    {
        await RunAsync(Rows.Of("a", "b", "c"));

        await using var sink = CreateSink();
        var keys = await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        Assert.Equal(["a", "b", "c"], keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Write_KeyRepeatedInOneCall_WritesTheFirstAndCountsTheRestAsSkipped()
    {
        var first = Rows.Video("a", title: "first");
        var again = Rows.Video("a", title: "second");

        var result = await RunAsync([first, Rows.Video("b"), again]);

        Assert.Equal(new SinkWriteResult(2, 1), result);
        var back = await ReadBackAsync(Rows.Videos);
        Assert.Equal(["a", "b"], back.Rows.Select(r => (string)r[0]!));
        Assert.Equal("first", back.Rows[0][1]);
    }

    [Fact]
    public async Task Write_KeyWrittenByAnEarlierCall_IsSkipped()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        await sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);

        var result = await sink.WriteAsync(Rows.Of("b", "c"), CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(new SinkWriteResult(1, 1), result);
        Assert.Equal(["a", "b", "c"], (await ReadBackAsync(Rows.Videos)).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task SecondRun_OnlyKnownKeys_AppendsNothing()
    {
        await RunAsync(Rows.Of("a", "b", "c"));
        var before = await ReadBackAsync(Rows.Videos);

        var result = await RunAsync(Rows.Of("c", "a", "b"));

        Assert.Equal(new SinkWriteResult(0, 3), result);
        var after = await ReadBackAsync(Rows.Videos);
        Assert.Equal(Flatten(before.Rows), Flatten(after.Rows));
    }

    [Fact]
    public async Task SecondRun_NewAndKnownKeys_AppendsOnlyTheNew()
    {
        await RunAsync(Rows.Of("a", "b"));

        var result = await RunAsync(Rows.Of("b", "c", "a", "d"));

        Assert.Equal(new SinkWriteResult(2, 2), result);
        var back = await ReadBackAsync(Rows.Videos);
        Assert.Equal(HeaderOf(Rows.Videos), back.Header);
        Assert.Equal(["a", "b", "c", "d"], back.Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Crash_AfterAReportedWrite_NextRunKnowsTheKeysAndKeepsTheRows()
    {
        // A run that wrote and was never completed: a crash, as far as the destination can tell.
        await using (var crashed = CreateSink())
        {
            await crashed.OpenAsync(Rows.Videos, CancellationToken.None);
            await crashed.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
        }

        await using var next = CreateSink();
        var keys = await next.OpenAsync(Rows.Videos, CancellationToken.None);
        var result = await next.WriteAsync(Rows.Of("a", "c"), CancellationToken.None);
        await next.CompleteAsync(CancellationToken.None);

        Assert.Equal(["a", "b"], keys.Order(StringComparer.Ordinal));
        Assert.Equal(new SinkWriteResult(1, 1), result);
        Assert.Equal(["a", "b", "c"], (await ReadBackAsync(Rows.Videos)).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Values_RoundTrip()
    {
        TableRow Row(string key, string? text, long? integer, double? number, DateTimeOffset? date, string? url) =>
            new(key, [key, text, integer, number, date, url]);
        var rows = new[]
        {
            Row("plain", "simple text", 42L, 1.5, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), "https://example.org/a?b=c&d=e"),
            Row("quoting", "comma, \"quotes\" and\nnew line\r\nand CRLF", -7L, -0.000123, new DateTimeOffset(1999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero), null),
            Row("unicode", "Grüße, 東京, emoji 😀, right-to-left שלום", long.MaxValue / 1024, 123456789.125, new DateTimeOffset(2026, 11, 30, 12, 0, 0, 125, TimeSpan.Zero), "https://例え.jp/パス"),
            Row("offset", "  leading and trailing spaces  ", 0L, 0.1 + 0.2, new DateTimeOffset(2024, 6, 1, 2, 0, 0, TimeSpan.FromHours(2)), ""),
            Row("nulls", null, null, null, null, null),
            Row("=formula-like", "=1+2", 1L, 1e21, new DateTimeOffset(2024, 2, 29, 0, 0, 0, TimeSpan.Zero), "-dash"),
            new("whole", ["whole", "a long in a Number column", long.MinValue, 7L, null, null]),
        };

        await using (var sink = CreateSink())
        {
            await sink.OpenAsync(Rows.AllKinds, CancellationToken.None);
            await sink.WriteAsync(rows, CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
        }

        var back = await ReadBackAsync(Rows.AllKinds);
        Assert.Equal(rows.Length, back.Rows.Count);
        for (var i = 0; i < rows.Length; i++)
            Assert.Equal(Expected(rows[i]), back.Rows[i]);
    }

    [Fact]
    public async Task Open_DestinationWithOtherColumns_ThrowsSinkExceptionNamingIt()
    {
        var other = new TableSchema([new("video id"), new("title"), new("rating", ColumnKind.Number)]);
        await using (var first = CreateSink())
        {
            await first.OpenAsync(other, CancellationToken.None);
            await first.WriteAsync([new TableRow("a", ["a", "t", 4.5])], CancellationToken.None);
            await first.CompleteAsync(CancellationToken.None);
        }

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));

        Assert.Contains(NameInMessages, error.Message, StringComparison.Ordinal);
        Assert.Contains("rating", error.Message, StringComparison.Ordinal);
        Assert.Contains("views", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_BeforeOpen_Throws()
    {
        await using var sink = CreateSink();

        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.WriteAsync(Rows.Of("a"), CancellationToken.None));
    }

    [Fact]
    public async Task Write_AfterComplete_Throws()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.WriteAsync(Rows.Of("a"), CancellationToken.None));
    }

    [Fact]
    public async Task Open_Twice_Throws()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));
    }

    [Theory]
    [InlineData("too few values")]
    [InlineData("wrong type")]
    [InlineData("key not its column")]
    [InlineData("infinite number")]
    public async Task Write_RowThatDoesNotFit_ThrowsArgumentExceptionAndWritesNothing(string problem)
    {
        var good = Rows.Video("good");
        var bad = problem switch
        {
            "too few values" => new TableRow("bad", ["bad", "title"]),
            "wrong type" => new TableRow("bad", [.. good.Values.Select((v, i) => i == 5 ? (object?)"1000" : i == 0 ? "bad" : v)]),
            "key not its column" => new TableRow("bad", good.Values),
            _ => new TableRow("bad", ["bad", "t", 1L, double.PositiveInfinity, null, null]),
        };
        var schema = problem == "infinite number" ? Rows.AllKinds : Rows.Videos;
        if (problem == "infinite number")
            good = new TableRow("good", ["good", "t", 1L, 1.0, null, null]);

        await using (var sink = CreateSink())
        {
            await sink.OpenAsync(schema, CancellationToken.None);
            await Assert.ThrowsAsync<ArgumentException>(() => sink.WriteAsync([good, bad], CancellationToken.None));
            await sink.CompleteAsync(CancellationToken.None);
        }

        Assert.False(DestinationExists());
    }

    [Fact]
    public async Task Write_CancelledBeforeItStarts_ThrowsAndWritesNothing()
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.WriteAsync(Rows.Of("a"), new CancellationToken(canceled: true)));
        var result = await sink.WriteAsync(Rows.Of("a"), CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(new SinkWriteResult(1, 0), result);
        Assert.Single((await ReadBackAsync(Rows.Videos)).Rows);
    }

    [Fact]
    public async Task Batching_TwentyConcurrentWriters_EveryRowOnceAndEachCallerCountedRight()
    {
        const int writers = 20;
        const int ownRows = 100;
        // Every writer also sends the same ten shared videos: exactly one writer may get each of them written.
        var shared = Rows.Range("shared-", 10);
        var results = new ConcurrentDictionary<int, SinkWriteResult>();

        await using (var sink = TableSinks.Batching(CreateSink(), new BatchingTableSinkOptions { FlushRows = 150, FlushDelay = TimeSpan.FromMilliseconds(5) }))
        {
            await sink.OpenAsync(Rows.Videos, CancellationToken.None);
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var own = Rows.Range($"w{w:D2}-", ownRows);
                await start.Task;
                // Two calls per writer, as a channel job writes a page at a time.
                var firstPage = await sink.WriteAsync([.. own.Take(50), .. shared.Take(5)], CancellationToken.None);
                var secondPage = await sink.WriteAsync([.. own.Skip(50), .. shared.Skip(5)], CancellationToken.None);
                results[w] = firstPage + secondPage;
            })).ToList();
            start.SetResult();
            await Task.WhenAll(tasks).WaitAsync(Patience);
            await sink.CompleteAsync(CancellationToken.None);
        }

        Assert.All(results.Values, r => Assert.Equal(ownRows + shared.Length, r.Written + r.Skipped));
        Assert.All(results.Values, r => Assert.InRange(r.Written, ownRows, ownRows + shared.Length));
        Assert.Equal((writers * ownRows) + shared.Length, results.Values.Sum(r => r.Written));
        var keys = (await ReadBackAsync(Rows.Videos)).Rows.Select(r => (string)r[0]!).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal((writers * ownRows) + shared.Length, keys.Count);
    }

    [Fact]
    public async Task Batching_Holds_KeysThereAtOpenAndThoseWrittenSince_AndSkipsThem()
    {
        await RunAsync(Rows.Of("a", "b"));

        await using var sink = TableSinks.Batching(CreateSink(), new BatchingTableSinkOptions { FlushDelay = TimeSpan.Zero });
        Assert.False(sink.Holds("a")); // not open yet
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        Assert.True(sink.Holds("a"));
        Assert.False(sink.Holds("z"));

        Assert.Equal(new SinkWriteResult(1, 1), await sink.WriteAsync(Rows.Of("z", "a"), CancellationToken.None).WaitAsync(Patience));
        Assert.True(sink.Holds("z"));
        Assert.Equal(new SinkWriteResult(0, 2), await sink.WriteAsync(Rows.Of("z", "b"), CancellationToken.None).WaitAsync(Patience));
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(["a", "b", "z"], (await ReadBackAsync(Rows.Videos)).Rows.Select(r => (string)r[0]!));
    }

    protected async Task<SinkWriteResult> RunAsync(IReadOnlyList<TableRow> rows)
    {
        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        var result = await sink.WriteAsync(rows, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);
        return result;
    }

    private IReadOnlyList<object?> Expected(TableRow row) =>
    [
        .. row.Values.Select((v, i) => (Rows.AllKinds.Columns[i].Kind, v) switch
        {
            (_, DateTimeOffset date) => date.ToUniversalTime(),
            (ColumnKind.Number, long integer) => (double)integer,
            (_, "") when !KeepsEmptyTextApartFromNull => null,
            _ => v,
        }),
    ];

    private static List<object?> Flatten(IEnumerable<IReadOnlyList<object?>> rows) => [.. rows.SelectMany(r => r)];
}

/// <summary>A destination's content: header, then rows with values typed by column kind (string, long, double, DateTimeOffset, null).</summary>
public sealed record ReadBack(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<object?>> Rows);
