using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators;
using Pacer.Sinks;

namespace Pacer.Sheets.Tests;

/// <summary>The Sheets table sink against the emulator: the sink contract, formatting once, pacing after a 429, and uncertain writes reconciled.</summary>
public sealed class SheetsTableSinkTests
{
    private const string Id = SheetsHarness.SpreadsheetId;
    private static readonly TableSchema Schema = SheetsHarness.Schema;
    private static readonly string[] Header = ["Video", "Title", "Published", "Views", "Score", "URL"];

    [Fact]
    public async Task Open_MissingTab_HoldsNothing_AndCreatesNothing()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using var sink = harness.Sink();

        var keys = await sink.OpenAsync(Schema, default);
        var nothing = await sink.WriteAsync([], default);
        await sink.CompleteAsync(default);

        Assert.Empty(keys);
        Assert.Equal(new SinkWriteResult(0, 0), nothing);
        Assert.Equal(["Sheet1"], harness.Emulator.GetTabs(Id).Select(t => t.Title));
        Assert.Equal(0, harness.Emulator.Counters.WriteRequests);
        Assert.Equal($"sheets:{Id}/Videos", sink.Description);
    }

    [Fact]
    public async Task FirstWrite_CreatesTheTabAndHeader_LaterWritesOnlyAppend()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        var first = await sink.WriteAsync(SheetsHarness.Rows(0, 3), default);
        var second = await sink.WriteAsync(SheetsHarness.Rows(3, 2), default);

        Assert.Equal(new SinkWriteResult(3, 0), first);
        Assert.Equal(new SinkWriteResult(2, 0), second);
        var cells = harness.Cells();
        Assert.Equal(Header, cells[0]);
        Assert.Equal(6, cells.Count);
        Assert.Equal(Enumerable.Range(0, 5).Select(n => $"vid{n:D8}"), cells.Skip(1).Select(r => r[0]));
        Assert.Equal(["vid00000001", "Video number 1", "2024-05-15T17:00:08Z", "250000", "0.25", "https://www.youtube.com/watch?v=vid00000001"], cells[2]);
        Assert.Equal(1, harness.Emulator.Counters.Calls(SheetsMethods.BatchUpdate)); // addSheet, once
        Assert.Equal(2, harness.Emulator.Counters.Calls(SheetsMethods.ValuesAppend)); // header travels with the first rows
    }

    [Fact]
    public async Task FirstWrite_SizesTheTabToTheTable_NotGoogles1000By26_SoItHoldsTwiceTheRowsBeforeTheSpreadsheetIsFull()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        await sink.WriteAsync(SheetsHarness.Rows(0, 3), default);
        await sink.CompleteAsync(default);

        var tab = harness.Emulator.GetTabs(Id).Single(t => t.Title == "Videos");
        Assert.Equal(Schema.Columns.Count, tab.ColumnCount);
        Assert.Equal(2 + 4, tab.RowCount); // the two it was made with, and the header and rows the append inserted
        Assert.Equal(1, tab.FrozenRowCount);
    }

    [Fact]
    public async Task Write_ASpreadsheetPastItsCells_IsAPermanentErrorThatSaysItIsFullAndWhatToDo()
    {
        // Sheet1's 1,000 x 26 grid, and room for the new tab and a few rows.
        await using var harness = await SheetsHarness.StartAsync(emulator: o => o.MaxCellsPerSpreadsheet = 26_000 + (12 * Schema.Columns.Count));
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        await sink.WriteAsync(SheetsHarness.Rows(0, 5), default);
        var full = await Assert.ThrowsAsync<SheetsRequestException>(() => sink.WriteAsync(SheetsHarness.Rows(5, 20), default));

        Assert.Contains("above the limit of", full.Message, StringComparison.Ordinal);
        Assert.EndsWith("The spreadsheet is full (every tab's grid counts, empty cells too): delete the tabs, rows or " +
            "columns it does not need, or write to a new spreadsheet.", full.Message, StringComparison.Ordinal);
        Assert.Equal(6, harness.Cells().Count); // what fitted stays, once
    }

    [Fact]
    public async Task Values_AreWrittenRaw_NumbersAsNumbers_DatesAsIsoText()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);
        var tricky = new TableRow("=1+1", ["=1+1", "+44 20 7946 0958", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-8)), 1_500_000L, null, "0012"]);

        await sink.WriteAsync([tricky], default);

        using var http = new HttpClient { BaseAddress = harness.Emulator.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SheetsHarness.Token);
        var row = JsonDocument.Parse(await http.GetStringAsync($"v4/spreadsheets/{Id}/values/Videos!A2:F2?valueRenderOption=UNFORMATTED_VALUE"))
            .RootElement.GetProperty("values")[0];
        Assert.Equal("=1+1", row[0].GetString()); // RAW: never a formula
        Assert.Equal("+44 20 7946 0958", row[1].GetString()); // RAW: never a number
        Assert.Equal("2024-01-02T11:04:05Z", row[2].GetString());
        Assert.Equal(1_500_000, row[3].GetInt64());
        Assert.Equal(JsonValueKind.Number, row[3].ValueKind);
        Assert.Equal("", row[4].GetString());
        Assert.Equal("0012", row[5].GetString());
    }

    [Fact]
    public async Task Reopen_ReadsTheKeysBack_AndNeverWritesADuplicate()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using (var first = harness.Sink())
        {
            await first.OpenAsync(Schema, default);
            await first.WriteAsync(SheetsHarness.Rows(0, 10), default);
            await first.CompleteAsync(default);
        }

        await using var second = harness.Sink();
        var keys = await second.OpenAsync(Schema, default);
        var result = await second.WriteAsync([.. SheetsHarness.Rows(5, 10), SheetsHarness.Row(12), SheetsHarness.Row(3)], default);

        Assert.Equal(Enumerable.Range(0, 10).Select(n => $"vid{n:D8}").ToHashSet(), keys);
        Assert.Equal(new SinkWriteResult(5, 7), result);
        var cells = harness.Cells();
        Assert.Equal(Header, cells[0]);
        Assert.Equal(Enumerable.Range(0, 15).Select(n => $"vid{n:D8}"), cells.Skip(1).Select(r => r[0]));
        Assert.Single(cells, r => r[0] == "Video");
    }

    [Fact]
    public async Task Open_TabWithAnotherHeader_IsASinkException()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("Videos")]);
        await harness.Client.AppendValuesAsync(Id, "Videos!A1", [["Video", "Title", "Views"], ["a", "b", 1]]);
        await using var sink = harness.Sink();

        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Schema, default));

        Assert.Contains($"sheets:{Id}/Videos has the header [Video, Title, Views]", error.Message, StringComparison.Ordinal);
        Assert.Contains("write to another tab", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_EmptyTabThatExists_GetsTheHeaderWithTheFirstRows()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("Videos")]);
        await using var sink = harness.Sink();

        Assert.Empty(await sink.OpenAsync(Schema, default));
        await sink.WriteAsync(SheetsHarness.Rows(0, 2), default);

        Assert.Equal(Header, harness.Cells()[0]);
        Assert.Equal(3, harness.Cells().Count);
        Assert.Equal(1, harness.Emulator.Counters.Calls(SheetsMethods.BatchUpdate)); // the test's addSheet only
    }

    [Fact]
    public async Task Complete_FormatsOnce_AcrossCallsAndRuns()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using (var first = harness.Sink(configure: o => o.HighlightColumn = "Views"))
        {
            await first.OpenAsync(Schema, default);
            await first.WriteAsync(SheetsHarness.Rows(0, 8), default);
            await first.CompleteAsync(default);
            await first.CompleteAsync(default);
        }
        await using (var second = harness.Sink(configure: o => o.HighlightColumn = "Views"))
        {
            await second.OpenAsync(Schema, default);
            await second.WriteAsync(SheetsHarness.Rows(8, 2), default);
            await second.CompleteAsync(default);
        }

        var kinds = harness.Emulator.GetRecordedRequests(Id).Select(r => r.Kind).ToList();
        Assert.Equal(["addSheet", "repeatCell", "updateSheetProperties", "addConditionalFormatRule"], kinds);
        var tab = harness.Emulator.GetTabs(Id).Single(t => t.Title == "Videos");
        Assert.Equal(1, tab.FrozenRowCount);
        var rule = JsonDocument.Parse(harness.Emulator.GetRecordedRequests(Id)[3].Json).RootElement.GetProperty("rule");
        Assert.Equal(3, rule.GetProperty("ranges")[0].GetProperty("startColumnIndex").GetInt32()); // Views
        Assert.Equal("1000000", rule.GetProperty("booleanRule").GetProperty("condition").GetProperty("values")[0].GetProperty("userEnteredValue").GetString());
    }

    [Fact]
    public async Task HighlightColumn_NotInTheSchema_IsASinkExceptionAtOpen()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await using var sink = harness.Sink(configure: o => o.HighlightColumn = "Likes");

        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Schema, default));

        Assert.Contains("HighlightColumn 'Likes' is not a column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeBatch_IsSplitUnderThePayloadLimit_InOrder()
    {
        var sizes = new BodySizes();
        await using var harness = await SheetsHarness.StartAsync(services: s => s.AddHttpClient(SheetsServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => sizes));
        await using var sink = harness.Sink(configure: o => o.MaxPayloadBytes = 2048);
        await sink.OpenAsync(Schema, default);

        var result = await sink.WriteAsync(SheetsHarness.Rows(0, 60), default);

        Assert.Equal(new SinkWriteResult(60, 0), result);
        var appends = sizes.Bodies.Where(b => b.Path.EndsWith(":append", StringComparison.Ordinal)).ToList();
        Assert.Equal(appends.Count, harness.Emulator.Counters.Calls(SheetsMethods.ValuesAppend));
        Assert.All(appends, a => Assert.InRange(a.Bytes, 1, 2048));
        Assert.True(appends.Sum(a => a.Bytes) > 3 * 2048, "the rows should need several appends");
        Assert.True(appends.Count > 3);
        var cells = harness.Cells();
        Assert.Equal(Header, cells[0]);
        Assert.Equal(Enumerable.Range(0, 60).Select(n => $"vid{n:D8}"), cells.Skip(1).Select(r => r[0]));
    }

    [Theory]
    [InlineData(Mishap.AnswerLost, 1)]
    [InlineData(Mishap.LostBeforeApplied, 1)]
    public async Task UncertainAppend_IsReconciledByReadingBack_EveryRowOnce(Mishap mishap, int appendsApplied)
    {
        var lose = new LoseAnswers(LoseAnswers.Appends, mishap);
        await using var harness = await SheetsHarness.StartAsync(services: s => s.AddHttpClient(SheetsServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => lose));
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        var result = await sink.WriteAsync(SheetsHarness.Rows(0, 30), default);

        Assert.Equal(1, lose.Spoiled);
        Assert.Equal(new SinkWriteResult(30, 0), result);
        var cells = harness.Cells();
        Assert.Equal(Header, cells[0]);
        Assert.Equal(Enumerable.Range(0, 30).Select(n => $"vid{n:D8}"), cells.Skip(1).Select(r => r[0]));
        Assert.Equal(appendsApplied, harness.Emulator.Counters.Calls(SheetsMethods.ValuesAppend));
        Assert.Contains(harness.Logs.Lines, l => l.Contains("may or may not have landed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppendThatNeverLeft_IsSimplyRetried()
    {
        var lose = new LoseAnswers(LoseAnswers.Appends, Mishap.NoConnection, count: 2);
        await using var harness = await SheetsHarness.StartAsync(services: s => s.AddHttpClient(SheetsServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => lose));
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        await sink.WriteAsync(SheetsHarness.Rows(0, 4), default);

        Assert.Equal(2, lose.Spoiled);
        Assert.Equal(5, harness.Cells().Count);
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains("may or may not have landed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppendTimedOutAfterItWasApplied_IsNotWrittenTwice()
    {
        // The emulator applies the append, then answers too late: the attempt times out.
        await using var harness = await SheetsHarness.StartAsync(
            client: o => o.AttemptTimeout = TimeSpan.FromMilliseconds(800),
            services: s => s.AddHttpClient(SheetsServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => new SlowAnswers(LoseAnswers.Appends)));
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        var result = await sink.WriteAsync(SheetsHarness.Rows(0, 5), default);

        Assert.Equal(new SinkWriteResult(5, 0), result);
        Assert.Equal(6, harness.Cells().Count);
        Assert.Equal(1, harness.Emulator.Counters.Calls(SheetsMethods.ValuesAppend));
    }

    [Fact]
    public async Task UncertainAddSheet_IsSettledByReadingBack_OneTab()
    {
        var lose = new LoseAnswers(LoseAnswers.BatchUpdates, Mishap.AnswerLost);
        await using var harness = await SheetsHarness.StartAsync(services: s => s.AddHttpClient(SheetsServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => lose));
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);

        await sink.WriteAsync(SheetsHarness.Rows(0, 3), default);

        Assert.Equal(["Sheet1", "Videos"], harness.Emulator.GetTabs(Id).Select(t => t.Title));
        Assert.Equal(1, harness.Emulator.Counters.Calls(SheetsMethods.BatchUpdate));
        Assert.Equal(4, harness.Cells().Count);
    }

    [Fact]
    public async Task RateLimited_TheWriteWaitsForTheNextMinute_AndNothingIsDropped()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 10, 0, 30, TimeSpan.Zero));
        await using var harness = await SheetsHarness.StartAsync(
            e => { e.TimeProvider = clock; e.WriteRequestsPerMinutePerUser = 2; },
            o => o.AttemptTimeout = TimeSpan.FromHours(1),
            services: s =>
            {
                s.AddSingleton<TimeProvider>(clock);
                s.AddPacer().AddResource("sheets", r => r.Rate = null); // only the server's 429 limits here, so the fake clock never needs to run for pacing
            });
        await using var sink = harness.Sink();
        await sink.OpenAsync(Schema, default);
        await sink.WriteAsync(SheetsHarness.Rows(0, 5), default); // addSheet + append: the minute's two writes

        var resources = harness.Services.GetRequiredService<IPacerResources>();
        var waiting = sink.WriteAsync(SheetsHarness.Rows(5, 5), default);
        // The 429 pauses the resource until the next minute (the body names a per-minute quota); the write waits for it.
        var resource = await Until(async () => (await resources.ListAsync()).Single(r => r.Name == "sheets"), r => r.Paused);
        Assert.Equal(1, harness.Emulator.Counters.RateLimited);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 10, 1, 0, TimeSpan.Zero), resource.PausedUntil);
        // Step the clock until the write is done: the waiter may arm its timer only after a single jump, and miss it.
        for (var i = 0; i < 200 && !waiting.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(waiting, Task.Delay(20));
        }
        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(new SinkWriteResult(5, 0), result);
        Assert.Equal(1, harness.Emulator.Counters.RateLimited);
        Assert.Equal(Enumerable.Range(0, 10).Select(n => $"vid{n:D8}"), harness.Cells().Skip(1).Select(r => r[0]));
    }

    [Fact]
    public async Task Factory_InvalidOptions_AreRefusedNamingEachOne()
    {
        await using var harness = await SheetsHarness.StartAsync();
        var factory = harness.Services.GetRequiredService<ISheetsSinkFactory>();

        var error = Assert.Throws<ArgumentException>(() => factory.Create(new SheetsSinkOptions { SpreadsheetId = "", Tab = "", MaxPayloadBytes = 10 }));

        Assert.Contains("SheetsSinkOptions.SpreadsheetId", error.Message, StringComparison.Ordinal);
        Assert.Contains("SheetsSinkOptions.Tab", error.Message, StringComparison.Ordinal);
        Assert.Contains("SheetsSinkOptions.MaxPayloadBytes is 10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ColumnLetters_AreA1()
    {
        Assert.Equal(["A", "B", "Z", "AA", "AZ", "BA", "ZZ", "AAA"], new[] { 0, 1, 25, 26, 51, 52, 701, 702 }.Select(SheetsTableSink.Column));
    }

    /// <summary>Waits for a state the code under test reaches (a resource paused), looking every 10 ms, for at most 10 s.</summary>
    private static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (condition(value))
                return value;
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the state was not reached within 10 s");
            await Task.Delay(10);
        }
    }

    /// <summary>Notes the size of every request body on its way out.</summary>
    private sealed class BodySizes : DelegatingHandler
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Path, long Bytes)> _bodies = new();

        public IReadOnlyList<(string Path, long Bytes)> Bodies => [.. _bodies];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
                _bodies.Enqueue((request.RequestUri!.AbsolutePath, (await content.ReadAsByteArrayAsync(cancellationToken)).Length));
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Lets the first matching request through to the server, then holds its answer back for longer than any attempt may take.</summary>
    private sealed class SlowAnswers(Func<HttpRequestMessage, bool> pick) : DelegatingHandler
    {
        private int _done;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (pick(request) && Interlocked.Exchange(ref _done, 1) == 0)
            {
                response.Dispose();
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            return response;
        }
    }
}
