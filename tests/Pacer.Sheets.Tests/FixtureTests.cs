using System.Net;
using System.Text.Json;
using Pacer.Testing;

namespace Pacer.Sheets.Tests;

/// <summary>
/// The client reads bodies in the shapes the Sheets reference documents (fixtures copied from the emulator tests),
/// served as they are by a plain server, and sends what the reference asks for.
/// </summary>
public sealed class FixtureTests
{
    private const string Id = SheetsHarness.SpreadsheetId;

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Sheets", name));

    private static Task<TestServer> ServeAsync(int status, string body) =>
        TestServer.StartAsync((context, _) => TestServer.AnswerAsync(context, status, body));

    [Fact]
    public async Task ValuesGet_IsReadIntoRows()
    {
        await using var server = await ServeAsync(200, Fixture("values.get.json"));
        await using var harness = await SheetsHarness.StartAsync(server.BaseAddress);

        var values = await harness.Client.GetValuesAsync(Id, "Sheet1!A1:D5");

        Assert.Equal("Sheet1!A1:D5", values.Range);
        Assert.Equal([["Item", "Cost", "Stocked", "Ship Date"], ["Wheel", "$20.50", "4", "3/1/2016"], ["Door", "$15", "2", "3/15/2016"]], values.Values);
        var request = Assert.Single(server.Requests);
        Assert.Equal($"/v4/spreadsheets/{Id}/values/Sheet1!A1:D5", request.Path);
        Assert.Contains("majorDimension=ROWS", request.Query, StringComparison.Ordinal);
        Assert.Equal("Bearer " + SheetsHarness.Token, request.Authorization);
    }

    [Fact]
    public async Task ValuesAppend_SendsRawInsertRows_AndReadsTheAnswer()
    {
        await using var server = await ServeAsync(200, Fixture("values.append.json"));
        await using var harness = await SheetsHarness.StartAsync(server.BaseAddress);

        var result = await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["Tire", 10.5, 3L, "4/1/2016"], ["Seat", 8, 1, null]]);

        Assert.Equal(new SheetsAppendResult("Sheet1!A1:D3", "Sheet1!A4:D5", 2), result);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/v4/spreadsheets/{Id}/values/Sheet1!A1:append", request.Path);
        Assert.Contains("valueInputOption=RAW", request.Query, StringComparison.Ordinal);
        Assert.Contains("insertDataOption=INSERT_ROWS", request.Query, StringComparison.Ordinal);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("ROWS", body.GetProperty("majorDimension").GetString());
        Assert.Equal("""[["Tire",10.5,3,"4/1/2016"],["Seat",8,1,null]]""", body.GetProperty("values").GetRawText());
    }

    [Fact]
    public async Task BatchUpdateAddSheet_IsReadIntoTheNewTab()
    {
        await using var server = await ServeAsync(200, Fixture("batchUpdate.addSheet.json"));
        await using var harness = await SheetsHarness.StartAsync(server.BaseAddress);

        var added = await harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("Videos")]);

        Assert.Equal(new SheetsTab(1817362849, "Videos", 1, 1000, 26, 0), Assert.Single(added));
        var request = Assert.Single(server.Requests);
        Assert.Equal($"/v4/spreadsheets/{Id}:batchUpdate", request.Path);
        Assert.Equal("""{"requests":[{"addSheet":{"properties":{"title":"Videos"}}}]}""", request.Body);
    }

    [Fact]
    public async Task ValueInputOptionError_IsAPermanentErrorWithTheMessage()
    {
        await using var server = await ServeAsync(400, Fixture("error.valueInputOption.json"));
        await using var harness = await SheetsHarness.StartAsync(server.BaseAddress);

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["x"]]));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", error.Status);
        Assert.Contains("'valueInputOption' is required but not specified", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task RateLimitedBody_PausesTheSheetsResourceUntilTheNextMinute()
    {
        await using var server = await ServeAsync(429, Fixture("error.rateLimited.json"));
        await using var harness = await SheetsHarness.StartAsync(server.BaseAddress, o => o.MaxWaitWhenLimited = TimeSpan.Zero);

        var error = await Assert.ThrowsAsync<ResourceUnavailableException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["x"]]));

        Assert.Equal("sheets", error.Resource);
        Assert.InRange(error.RetryAt!.Value - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromSeconds(61)); // the quota refills each minute
        Assert.Single(server.Requests); // a 429 is not a transient failure to repeat at once: the resource waits
    }
}
