using System.Text.Json;

namespace Pacer.Emulators.Tests.Sheets;

public sealed class SheetsBatchUpdateTests : IAsyncLifetime
{
    private const string Id = "formatting";
    private SheetsEmulator _emulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _emulator = await SheetsEmulator.StartAsync();
        _emulator.CreateSpreadsheet(Id, "Sheet1");
        _http = Http.Client(_emulator.BaseAddress, bearer: "token");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    private Task<Reply> BatchAsync(string requests) =>
        _http.SendJsonAsync(HttpMethod.Post, $"v4/spreadsheets/{Id}:batchUpdate", $$"""{"requests":{{requests}}}""");

    [Fact]
    public async Task AddSheet_RepliesWithItsProperties()
    {
        var reply = await BatchAsync("""[{"addSheet":{"properties":{"title":"Videos","gridProperties":{"rowCount":50,"columnCount":8}}}}]""");

        Assert.True(reply.Code == 200, reply.ToString());
        var properties = reply.Json.GetProperty("replies")[0].GetProperty("addSheet").GetProperty("properties");
        Assert.Equal(("Videos", 1, "GRID"), (properties.GetProperty("title").GetString(), properties.GetProperty("index").GetInt32(), properties.GetProperty("sheetType").GetString()));
        Assert.Equal(50, properties.GetProperty("gridProperties").GetProperty("rowCount").GetInt32());
        var tab = _emulator.GetTabs(Id)[1];
        Assert.Equal((properties.GetProperty("sheetId").GetInt32(), "Videos", 50, 8), (tab.SheetId, tab.Title, tab.RowCount, tab.ColumnCount));
    }

    [Fact]
    public async Task AddSheet_DuplicateTitle_Is400WithTheRealText_AndAppliesNothingOfTheBatch()
    {
        var reply = await BatchAsync("""[{"addSheet":{"properties":{"title":"New"}}},{"addSheet":{"properties":{"title":"sheet1"}}}]""");

        Assert.Equal(400, reply.Code);
        Assert.Equal("Invalid requests[1].addSheet: A sheet with the name \"sheet1\" already exists. Please enter another name.",
            reply.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("INVALID_ARGUMENT", reply.Json.GetProperty("error").GetProperty("status").GetString());
        Assert.Equal(["Sheet1"], _emulator.GetTabs(Id).Select(t => t.Title));
        Assert.Empty(_emulator.GetRecordedRequests(Id));
    }

    [Fact]
    public async Task FrozenHeader_BoldHeaderAndConditionalFormat_AreAppliedOrRecorded()
    {
        var reply = await BatchAsync("""
            [
              {"updateSheetProperties":{"properties":{"sheetId":0,"gridProperties":{"frozenRowCount":1}},"fields":"gridProperties.frozenRowCount"}},
              {"repeatCell":{"range":{"sheetId":0,"startRowIndex":0,"endRowIndex":1},"cell":{"userEnteredFormat":{"textFormat":{"bold":true}}},"fields":"userEnteredFormat.textFormat.bold"}},
              {"addConditionalFormatRule":{"rule":{"ranges":[{"sheetId":0,"startRowIndex":1,"endRowIndex":1000,"startColumnIndex":3,"endColumnIndex":4}],
                "booleanRule":{"condition":{"type":"NUMBER_GREATER","values":[{"userEnteredValue":"1000"}]},"format":{"backgroundColor":{"green":1}}}},"index":0}}
            ]
            """);

        Assert.True(reply.Code == 200, reply.ToString());
        Assert.Equal("[{},{},{}]", reply.Json.GetProperty("replies").GetRawText());
        Assert.Equal(1, _emulator.GetTabs(Id)[0].FrozenRowCount);
        var recorded = _emulator.GetRecordedRequests(Id);
        Assert.Equal(["updateSheetProperties", "repeatCell", "addConditionalFormatRule"], recorded.Select(r => r.Kind));
        Assert.Equal("NUMBER_GREATER", JsonDocument.Parse(recorded[2].Json).RootElement.GetProperty("rule").GetProperty("booleanRule")
            .GetProperty("condition").GetProperty("type").GetString());
        var metadata = await _http.FetchAsync($"v4/spreadsheets/{Id}");
        Assert.Equal(1, metadata.Json.GetProperty("sheets")[0].GetProperty("properties").GetProperty("gridProperties").GetProperty("frozenRowCount").GetInt32());
    }

    [Fact]
    public async Task UnknownGrid_Is400NoGridWithId()
    {
        var reply = await BatchAsync("""[{"repeatCell":{"range":{"sheetId":77},"cell":{},"fields":"*"}}]""");

        Assert.Equal(400, reply.Code);
        Assert.Equal("Invalid requests[0].repeatCell: No grid with id: 77", reply.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task AdminEndpoints_CreateAndDumpSpreadsheets()
    {
        using var admin = Http.Client(_emulator.BaseAddress);
        var created = await admin.SendJsonAsync(HttpMethod.Post, "_emulator/spreadsheets/made-by-admin?sheets=Channels,Videos", null);
        await _http.SendJsonAsync(HttpMethod.Put, "v4/spreadsheets/made-by-admin/values/Videos!A1?valueInputOption=RAW", """{"values":[["v1"]]}""");

        var dump = await admin.FetchAsync("_emulator/spreadsheets/made-by-admin");
        var list = await admin.FetchAsync("_emulator/spreadsheets");
        var counters = await admin.FetchAsync("_emulator/counters");

        Assert.Equal(200, created.Code);
        Assert.Equal("""[["v1"]]""", dump.Json.GetProperty("sheets")[1].GetProperty("values").GetRawText());
        Assert.Contains("made-by-admin", list.Json.Strings());
        Assert.Equal(1, counters.Json.GetProperty("writeRequests").GetInt64());
    }

    [Fact]
    public async Task ASharedSpreadsheet_RefusesEveryOtherCaller_ReadsAndWritesAlike_AsGoogleDoes()
    {
        using var admin = Http.Client(_emulator.BaseAddress);
        using var owner = Http.Client(_emulator.BaseAddress, bearer: "owner-token");
        var created = await admin.SendJsonAsync(HttpMethod.Post, "_emulator/spreadsheets/private?sharedWith=owner-token,sync@p.iam.gserviceaccount.com", null);

        var read = await _http.SendJsonAsync(HttpMethod.Get, "v4/spreadsheets/private", null);
        var write = await _http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets/private/values/Sheet1!A1:append?valueInputOption=RAW", """{"values":[["x"]]}""");
        var ownRead = await owner.SendJsonAsync(HttpMethod.Get, "v4/spreadsheets/private", null);

        Assert.Equal(200, created.Code);
        foreach (var refused in new[] { read, write })
        {
            Assert.Equal(403, refused.Code);
            Assert.Equal("""{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}""", refused.Json.GetRawText());
        }
        Assert.True(ownRead.Code == 200, ownRead.ToString());
        Assert.Empty(_emulator.GetValues("private", "Sheet1"));
    }
}
