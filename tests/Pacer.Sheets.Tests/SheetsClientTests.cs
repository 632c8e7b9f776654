using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pacer.Emulators;

namespace Pacer.Sheets.Tests;

/// <summary>The Sheets client against the emulator: values round trip, tabs, batch updates, errors and what is retried.</summary>
public sealed class SheetsClientTests
{
    private const string Id = SheetsHarness.SpreadsheetId;

    [Fact]
    public async Task AppendThenGet_RoundTrip_KeepsTypesRaw()
    {
        await using var harness = await SheetsHarness.StartAsync();
        var published = new DateTimeOffset(2024, 5, 14, 19, 0, 8, TimeSpan.FromHours(2));

        var result = await harness.Client.AppendValuesAsync(Id, "Sheet1!A1",
        [
            ["id", "views", "score", "live", "published", "note"],
            ["a1", 136528L, 2.5, true, published, "=SUM(B:B)"],
            ["00123", 7, null, false, published.AddDays(1), ""],
        ]);
        var values = await harness.Client.GetValuesAsync(Id, "Sheet1!A1:F3");

        Assert.Equal(3, result.UpdatedRows);
        Assert.Equal("Sheet1!A1:F3", result.UpdatedRange);
        Assert.Equal(["id", "views", "score", "live", "published", "note"], values.Values[0]);
        Assert.Equal(["a1", "136528", "2.5", "TRUE", "2024-05-14T17:00:08Z", "=SUM(B:B)"], values.Values[1]);
        Assert.Equal(["00123", "7", "", "FALSE", "2024-05-15T17:00:08Z"], values.Values[2]);
        Assert.Equal(values.Values, harness.Emulator.GetValues(Id, "Sheet1"));

        // Numbers went as numbers, text as text: the unformatted values keep their JSON types.
        using var http = new HttpClient { BaseAddress = harness.Emulator.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SheetsHarness.Token);
        var raw = JsonDocument.Parse(await http.GetStringAsync($"v4/spreadsheets/{Id}/values/Sheet1!A2:E2?valueRenderOption=UNFORMATTED_VALUE")).RootElement;
        var cells = raw.GetProperty("values")[0];
        Assert.Equal(JsonValueKind.Number, cells[1].ValueKind);
        Assert.Equal(JsonValueKind.Number, cells[2].ValueKind);
        Assert.Equal(JsonValueKind.True, cells[3].ValueKind);
        Assert.Equal(JsonValueKind.String, cells[4].ValueKind);
    }

    [Fact]
    public async Task Append_AfterATable_InsertsBelowIt()
    {
        await using var harness = await SheetsHarness.StartAsync();
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["h"], ["1"], ["2"]]);

        var result = await harness.Client.AppendValuesAsync(Id, "'Sheet1'!A1", [["3"], ["4"]]);

        Assert.Equal("Sheet1!A1:A3", result.TableRange);
        Assert.Equal("Sheet1!A4:A5", result.UpdatedRange);
        Assert.Equal([["h"], ["1"], ["2"], ["3"], ["4"]], (await harness.Client.GetValuesAsync(Id, "Sheet1!A:A")).Values);
        Assert.Equal([["h", "1", "2", "3", "4"]], (await harness.Client.GetValuesAsync(Id, "Sheet1!A:A", SheetsDimension.Columns)).Values);
    }

    [Fact]
    public async Task BatchUpdate_AddsTabs_TabsAreListed_ADuplicateIsRefusedOnce()
    {
        await using var harness = await SheetsHarness.StartAsync();

        var added = await harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("My 'Videos'", columnCount: 12)]);
        var spreadsheet = await harness.Client.GetSpreadsheetAsync(Id);
        var duplicate = await Assert.ThrowsAsync<SheetsRequestException>(() =>
            harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("my 'videos'")]));

        var tab = Assert.Single(added);
        Assert.Equal("My 'Videos'", tab.Title);
        Assert.Equal(12, tab.ColumnCount);
        Assert.Equal(["Sheet1", "My 'Videos'"], spreadsheet.Tabs.Select(t => t.Title));
        Assert.Equal(tab, spreadsheet.FindTab("MY 'VIDEOS'"));
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", duplicate.Status);
        Assert.Contains("already exists", duplicate.Message, StringComparison.Ordinal);
        Assert.Equal(2, harness.Emulator.Counters.Calls(SheetsMethods.BatchUpdate));

        // A quoted title with an apostrophe is a valid range.
        await harness.Client.AppendValuesAsync(Id, "'My ''Videos'''!A1", [["x"]]);
        Assert.Equal([["x"]], harness.Emulator.GetValues(Id, "'My ''Videos'''"));
    }

    [Fact]
    public async Task Formatting_RequestsAreTheDocumentedShapes()
    {
        await using var harness = await SheetsHarness.StartAsync();
        var tab = (await harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("Videos")])).Single();

        await harness.Client.BatchUpdateAsync(Id,
        [
            SheetsRequest.BoldRow(tab.SheetId, 0, 6),
            SheetsRequest.FreezeRows(tab.SheetId, 1),
            SheetsRequest.HighlightAbove(tab.SheetId, 3, 1_000_000),
        ]);

        var recorded = harness.Emulator.GetRecordedRequests(Id);
        Assert.Equal(["addSheet", "repeatCell", "updateSheetProperties", "addConditionalFormatRule"], recorded.Select(r => r.Kind));
        Assert.Equal(1, harness.Emulator.GetTabs(Id).Single(t => t.Title == "Videos").FrozenRowCount);
        var bold = JsonDocument.Parse(recorded[1].Json).RootElement;
        Assert.True(bold.GetProperty("cell").GetProperty("userEnteredFormat").GetProperty("textFormat").GetProperty("bold").GetBoolean());
        Assert.Equal("userEnteredFormat.textFormat.bold", bold.GetProperty("fields").GetString());
        Assert.Equal(6, bold.GetProperty("range").GetProperty("endColumnIndex").GetInt32());
        var rule = JsonDocument.Parse(recorded[3].Json).RootElement.GetProperty("rule");
        Assert.Equal(tab.SheetId, rule.GetProperty("ranges")[0].GetProperty("sheetId").GetInt32());
        Assert.Equal(3, rule.GetProperty("ranges")[0].GetProperty("startColumnIndex").GetInt32());
        Assert.Equal(4, rule.GetProperty("ranges")[0].GetProperty("endColumnIndex").GetInt32());
        Assert.Equal(1, rule.GetProperty("ranges")[0].GetProperty("startRowIndex").GetInt32());
        var condition = rule.GetProperty("booleanRule").GetProperty("condition");
        Assert.Equal("NUMBER_GREATER", condition.GetProperty("type").GetString());
        Assert.Equal("1000000", condition.GetProperty("values")[0].GetProperty("userEnteredValue").GetString());
    }

    [Fact]
    public async Task MissingTab_IsAPermanentError()
    {
        await using var harness = await SheetsHarness.StartAsync();

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.GetValuesAsync(Id, "'Nope'!A:A"));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("Unable to parse range", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Equal(1, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task ServerErrors_ReadsAreRetried_AnAppendIsNot()
    {
        await using var harness = await SheetsHarness.StartAsync(e => e.Faults.ServerErrorRate = 1.0, o => o.MaxAttempts = 3);

        await Assert.ThrowsAsync<HttpRequestException>(() => harness.Client.GetValuesAsync(Id, "Sheet1!A:A"));
        Assert.Equal(3, harness.Emulator.Counters.Requests);

        var unknown = await Assert.ThrowsAsync<SheetsOutcomeUnknownException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["x"]]));
        Assert.Equal(4, harness.Emulator.Counters.Requests);
        Assert.Equal("spreadsheets.values.append", unknown.Operation);
        Assert.Contains("read back before writing again", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendThatTimesOut_IsNotRepeated_ItsOutcomeIsUnknown()
    {
        await using var harness = await SheetsHarness.StartAsync(e => e.Faults.TimeoutRate = 1.0, o => o.AttemptTimeout = TimeSpan.FromMilliseconds(150));

        await Assert.ThrowsAsync<SheetsOutcomeUnknownException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["x"]]));

        Assert.Equal(1, harness.Emulator.Counters.InjectedTimeouts);
    }

    [Fact]
    public async Task UnsupportedCell_IsRefusedBeforeAnythingIsSent()
    {
        await using var harness = await SheetsHarness.StartAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [[new object()]]));

        Assert.Equal(0, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task SheetsResource_IsDeclaredAtSixtyAMinute_UnlessTheApplicationDeclaresIt()
    {
        var services = new ServiceCollection();
        services.AddPacer().AddResource("other", r => r.Rate = "1/s");
        services.AddSheets(o => o.CredentialKind = SheetsCredentialKind.AccessToken);
        using var provider = services.BuildServiceProvider();
        Assert.Equal("60/min", provider.GetRequiredService<IOptions<PacerOptions>>().Value.Resources["sheets"].Rate);

        await using var harness = await SheetsHarness.StartAsync(services: s => s.AddPacer().AddResource("sheets", r => r.Rate = "5/s"));
        Assert.Equal("5/s", harness.Services.GetRequiredService<IOptions<PacerOptions>>().Value.Resources["sheets"].Rate);
        await harness.Client.GetSpreadsheetAsync(Id);
        Assert.Contains(await harness.Services.GetRequiredService<IPacerResources>().ListAsync(), r => r.Name == "sheets" && r.Rate == "5/s");
    }

    [Fact]
    public async Task AddSheets_InvalidOptions_ThrowNamingEachOne()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<ArgumentException>(() => services.AddSheets(o => { o.MaxAttempts = 11; o.Rate = " "; o.BaseAddress = new Uri("file:///tmp"); }));

        Assert.Contains("SheetsOptions.MaxAttempts is 11", error.Message, StringComparison.Ordinal);
        Assert.Contains("SheetsOptions.Rate is empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("SheetsOptions.BaseAddress", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSheets().AddSheets());
    }
}
