using System.Text.Json;

namespace Pacer.Emulators.Tests.Sheets;

public sealed class SheetsValuesTests : IAsyncLifetime
{
    private const string Id = "sheet-under-test";
    private SheetsEmulator _emulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var options = new SheetsEmulatorOptions();
        options.SpreadsheetIds.Add(Id);
        _emulator = await SheetsEmulator.StartAsync(options);
        _http = Http.Client(_emulator.BaseAddress, bearer: "token");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    private Task<Reply> AppendAsync(string range, string query, string values) =>
        _http.SendJsonAsync(HttpMethod.Post, $"v4/spreadsheets/{Id}/values/{Uri.EscapeDataString(range)}:append?{query}", $$"""{"values":{{values}}}""");

    [Fact]
    public async Task Append_ThenGet_RoundTripsRowsAfterTheTable()
    {
        var header = await AppendAsync("Sheet1!A1", "valueInputOption=RAW", """[["channel","title","views"]]""");
        var rows = await AppendAsync("Sheet1!A:C", "valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS", """[["UC1","First","1200"],["UC2","Second",35]]""");
        var get = await _http.FetchAsync($"v4/spreadsheets/{Id}/values/Sheet1");
        var unformatted = await _http.FetchAsync($"v4/spreadsheets/{Id}/values/Sheet1!C2:C3?valueRenderOption=UNFORMATTED_VALUE");

        Assert.True(header.Code == 200, header.ToString());
        Assert.False(header.Json.TryGetProperty("tableRange", out _));
        Assert.Equal("Sheet1!A1:C1", header.Json.GetProperty("updates").GetProperty("updatedRange").GetString());
        Assert.True(rows.Code == 200, rows.ToString());
        Assert.Equal(Id, rows.Json.GetProperty("spreadsheetId").GetString());
        Assert.Equal("Sheet1!A1:C1", rows.Json.GetProperty("tableRange").GetString());
        var updates = rows.Json.GetProperty("updates");
        Assert.Equal(("Sheet1!A2:C3", 2, 3, 6), (updates.GetProperty("updatedRange").GetString(), updates.GetProperty("updatedRows").GetInt32(),
            updates.GetProperty("updatedColumns").GetInt32(), updates.GetProperty("updatedCells").GetInt32()));
        Assert.Equal("Sheet1!A1:Z1002", get.Json.GetProperty("range").GetString());
        Assert.Equal("ROWS", get.Json.GetProperty("majorDimension").GetString());
        Assert.Equal("""[["channel","title","views"],["UC1","First","1200"],["UC2","Second","35"]]""", get.Json.GetProperty("values").GetRawText());
        Assert.Equal("[[1200],[35]]", unformatted.Json.GetProperty("values").GetRawText());
        Assert.Equal([["channel", "title", "views"], ["UC1", "First", "1200"], ["UC2", "Second", "35"]], _emulator.GetValues(Id, "Sheet1"));
    }

    [Fact]
    public async Task Append_InsertRows_MovesWhatIsBelowTheTable_OverwriteDoesNot()
    {
        await _http.SendJsonAsync(HttpMethod.Put, $"v4/spreadsheets/{Id}/values/Sheet1!A1:B2?valueInputOption=RAW", """{"values":[["a","1"],["b","2"]]}""");
        await _http.SendJsonAsync(HttpMethod.Put, $"v4/spreadsheets/{Id}/values/Sheet1!D4?valueInputOption=RAW", """{"values":[["note"]]}""");

        await AppendAsync("Sheet1!A1:B", "valueInputOption=RAW&insertDataOption=INSERT_ROWS", """[["c","3"]]""");
        Assert.Equal([["a", "1"], ["b", "2"], ["c", "3"], [], ["", "", "", "note"]], _emulator.GetValues(Id, "Sheet1"));
        await AppendAsync("Sheet1!A1:B", "valueInputOption=RAW", """[["d","4"]]""");

        Assert.Equal([["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"], ["", "", "", "note"]], _emulator.GetValues(Id, "Sheet1"));
    }

    [Fact]
    public async Task Writes_WithoutValueInputOption_Are400InvalidArgumentWithTheRealText()
    {
        var append = await AppendAsync("Sheet1!A1", "", """[["x"]]""");
        var update = await _http.SendJsonAsync(HttpMethod.Put, $"v4/spreadsheets/{Id}/values/Sheet1!A1", """{"values":[["x"]]}""");
        var batch = await _http.SendJsonAsync(HttpMethod.Post, $"v4/spreadsheets/{Id}/values:batchUpdate", """{"data":[{"range":"Sheet1!A1","values":[["x"]]}]}""");

        foreach (var reply in new[] { append, update, batch })
        {
            Assert.Equal(400, reply.Code);
            Assert.Equal("'valueInputOption' is required but not specified", reply.Json.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal("INVALID_ARGUMENT", reply.Json.GetProperty("error").GetProperty("status").GetString());
        }
        Assert.Empty(_emulator.GetValues(Id, "Sheet1"));
    }

    [Fact]
    public async Task Get_OmitsTrailingEmpties_KeepsEmptyRowsBetween_AndReadsQuotedTabs()
    {
        _emulator.CreateSpreadsheet("quoted", "My Sheet");
        await _http.SendJsonAsync(HttpMethod.Put, "v4/spreadsheets/quoted/values/'My Sheet'!A1:D3?valueInputOption=RAW",
            """{"values":[["a",null,"c",""],[],["","x"]]}""");

        var all = await _http.FetchAsync($"v4/spreadsheets/quoted/values/{Uri.EscapeDataString("'My Sheet'!A1:D5")}");
        var column = await _http.FetchAsync($"v4/spreadsheets/quoted/values/{Uri.EscapeDataString("'My Sheet'!B1:B")}");
        var empty = await _http.FetchAsync($"v4/spreadsheets/quoted/values/{Uri.EscapeDataString("'My Sheet'!F1:G2")}");
        var columns = await _http.FetchAsync($"v4/spreadsheets/quoted/values/{Uri.EscapeDataString("'My Sheet'!A1:B3")}?majorDimension=COLUMNS");

        Assert.Equal("'My Sheet'!A1:D5", all.Json.GetProperty("range").GetString());
        Assert.Equal("""[["a","","c"],[],["","x"]]""", all.Json.GetProperty("values").GetRawText());
        Assert.Equal("'My Sheet'!B1:B1000", column.Json.GetProperty("range").GetString());
        Assert.Equal("""[[],[],["x"]]""", column.Json.GetProperty("values").GetRawText());
        Assert.False(empty.Json.TryGetProperty("values", out _));
        Assert.Equal("""[["a"],["","","x"]]""", columns.Json.GetProperty("values").GetRawText());
    }

    [Fact]
    public async Task MissingTab_Is400UnableToParseRange()
    {
        var get = await _http.FetchAsync($"v4/spreadsheets/{Id}/values/Nope!A1");
        var append = await AppendAsync("Nope!A1", "valueInputOption=RAW", """[["x"]]""");

        foreach (var reply in new[] { get, append })
        {
            Assert.Equal(400, reply.Code);
            Assert.Equal("Unable to parse range: Nope!A1", reply.Json.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal("INVALID_ARGUMENT", reply.Json.GetProperty("error").GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Update_BeyondItsRange_IsRefused_AndBeyondTheGridGrowsIt()
    {
        var tooLong = await _http.SendJsonAsync(HttpMethod.Put, $"v4/spreadsheets/{Id}/values/Sheet1!A1:B2?valueInputOption=RAW", """{"values":[["1"],["2"],["3"]]}""");
        var beyondGrid = await _http.SendJsonAsync(HttpMethod.Put, $"v4/spreadsheets/{Id}/values/Sheet1!AA1001?valueInputOption=RAW", """{"values":[["far"]]}""");

        Assert.Equal(400, tooLong.Code);
        Assert.Equal("Requested writing within range [Sheet1!A1:B2], but tried writing to row [3]", tooLong.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(200, beyondGrid.Code);
        Assert.Equal("Sheet1!AA1001", beyondGrid.Json.GetProperty("updatedRange").GetString());
        Assert.Equal((1001, 27), (_emulator.GetTabs(Id)[0].RowCount, _emulator.GetTabs(Id)[0].ColumnCount));
    }

    [Fact]
    public async Task ValuesBatchUpdate_WritesEveryRange_OrNoneWhenOneIsInvalid()
    {
        var refused = await _http.SendJsonAsync(HttpMethod.Post, $"v4/spreadsheets/{Id}/values:batchUpdate",
            """{"valueInputOption":"RAW","data":[{"range":"Sheet1!A1","values":[["kept?"]]},{"range":"Missing!A1","values":[["x"]]}]}""");
        Assert.Empty(_emulator.GetValues(Id, "Sheet1"));

        var done = await _http.SendJsonAsync(HttpMethod.Post, $"v4/spreadsheets/{Id}/values:batchUpdate",
            """{"valueInputOption":"USER_ENTERED","data":[{"range":"Sheet1!A1","values":[["=SUM(B1:B2)"]]},{"range":"Sheet1!B1:B2","majorDimension":"COLUMNS","values":[["1","2"]]}]}""");

        Assert.Equal(400, refused.Code);
        Assert.True(done.Code == 200, done.ToString());
        Assert.Equal((3, 3, 2), (done.Json.GetProperty("totalUpdatedCells").GetInt32(), done.Json.GetProperty("totalUpdatedRows").GetInt32(), done.Json.GetProperty("responses").GetArrayLength()));
        Assert.Equal(1, done.Json.GetProperty("totalUpdatedSheets").GetInt32());
        Assert.Equal([["=SUM(B1:B2)", "1"], ["", "2"]], _emulator.GetValues(Id, "Sheet1"));
    }

    [Fact]
    public async Task BatchGet_ReadsSeveralRanges()
    {
        await AppendAsync("Sheet1!A1", "valueInputOption=RAW", """[["a","b"],["c","d"]]""");

        var reply = await _http.FetchAsync($"v4/spreadsheets/{Id}/values:batchGet?ranges=Sheet1!A1:A2&ranges=Sheet1!B2");

        Assert.Equal(["Sheet1!A1:A2", "Sheet1!B2"], reply.Json.GetProperty("valueRanges").EnumerateArray().Select(v => v.GetProperty("range").GetString()));
        Assert.Equal("""[["d"]]""", reply.Json.GetProperty("valueRanges")[1].GetProperty("values").GetRawText());
    }

    [Fact]
    public async Task Spreadsheets_CreateAndGet_DescribeTheTabs()
    {
        var created = await _http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets", """{"properties":{"title":"Sync"},"sheets":[{"properties":{"title":"Channels"}},{"properties":{"title":"Videos"}}]}""");
        var id = created.Json.GetProperty("spreadsheetId").GetString()!;
        var read = await _http.FetchAsync($"v4/spreadsheets/{id}");

        Assert.Equal(44, id.Length);
        Assert.Equal(created.Body, read.Body);
        var sheets = read.Json.GetProperty("sheets");
        Assert.Equal(["Channels", "Videos"], sheets.EnumerateArray().Select(s => s.GetProperty("properties").GetProperty("title").GetString()));
        Assert.Equal(0, sheets[0].GetProperty("properties").GetProperty("sheetId").GetInt32());
        Assert.Equal(JsonValueKind.Number, sheets[1].GetProperty("properties").GetProperty("gridProperties").GetProperty("rowCount").ValueKind);
        Assert.Equal("Sync", read.Json.GetProperty("properties").GetProperty("title").GetString());
    }

    [Fact]
    public async Task Spreadsheets_Create_MakesItTheCreatorsAlone_UntilShared()
    {
        var options = new SheetsEmulatorOptions();
        options.BearerTokens.Add("creator");
        options.BearerTokens.Add("colleague");
        await using var emulator = await SheetsEmulator.StartAsync(options);
        using var creator = Http.Client(emulator.BaseAddress, bearer: "creator");
        using var colleague = Http.Client(emulator.BaseAddress, bearer: "colleague");
        var created = await creator.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets", """{"properties":{"title":"Mine"}}""");
        var id = created.Json.GetProperty("spreadsheetId").GetString()!;

        var own = await creator.FetchAsync($"v4/spreadsheets/{id}/values/Sheet1");
        var refused = await colleague.FetchAsync($"v4/spreadsheets/{id}/values/Sheet1");
        emulator.ShareSpreadsheet(id, "creator", "colleague");
        var shared = await colleague.FetchAsync($"v4/spreadsheets/{id}/values/Sheet1");

        Assert.Equal(200, own.Code);
        Assert.Equal(403, refused.Code);
        Assert.Equal("PERMISSION_DENIED", refused.Json.GetProperty("error").GetProperty("status").GetString());
        Assert.Equal(200, shared.Code);
    }

    [Fact]
    public async Task Credentials_MissingOrUnknown_Are401Unauthenticated()
    {
        var options = new SheetsEmulatorOptions();
        options.BearerTokens.Add("right");
        await using var emulator = await SheetsEmulator.StartAsync(options);
        using var anonymous = Http.Client(emulator.BaseAddress);
        using var wrong = Http.Client(emulator.BaseAddress, bearer: "wrong");
        using var right = Http.Client(emulator.BaseAddress, bearer: "right");

        var missing = await anonymous.FetchAsync("v4/spreadsheets/x/values/Sheet1");
        var invalid = await wrong.FetchAsync("v4/spreadsheets/x/values/Sheet1");
        var ok = await right.FetchAsync("v4/spreadsheets/x/values/Sheet1");

        Assert.Equal((401, "UNAUTHENTICATED"), (missing.Code, missing.Json.GetProperty("error").GetProperty("status").GetString()));
        Assert.StartsWith("Request is missing required authentication credential.", missing.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Request had invalid authentication credentials.", invalid.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, ok.Code);
    }

    [Fact]
    public async Task UnknownSpreadsheet_Is404WhenNotCreatedOnDemand()
    {
        var options = new SheetsEmulatorOptions { CreateOnDemand = false };
        options.SpreadsheetIds.Add("known");
        await using var emulator = await SheetsEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress, bearer: "t");

        var unknown = await http.FetchAsync("v4/spreadsheets/unknown/values/Sheet1");
        var known = await http.FetchAsync("v4/spreadsheets/known/values/Sheet1");

        Assert.Equal((404, "NOT_FOUND"), (unknown.Code, unknown.Json.GetProperty("error").GetProperty("status").GetString()));
        Assert.Equal(200, known.Code);
        Assert.Equal(["known"], emulator.SpreadsheetIds);
    }
}
