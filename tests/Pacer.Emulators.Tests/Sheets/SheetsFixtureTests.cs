using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators.Tests.Fixtures;

namespace Pacer.Emulators.Tests.Sheets;

public sealed class SheetsFixtureTests : IAsyncLifetime
{
    private SheetsEmulator _emulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _emulator = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions { WriteRequestsPerMinutePerUser = 4 });
        _http = Http.Client(_emulator.BaseAddress, bearer: "t");
        await _http.SendJsonAsync(HttpMethod.Put, "v4/spreadsheets/s/values/Sheet1!A1:D3?valueInputOption=USER_ENTERED",
            """{"values":[["Item","Cost","Stocked","Ship Date"],["Wheel","$20.50","4","3/1/2016"],["Door","$15","2","3/15/2016"]]}""");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task ValuesGet_HasTheRealShape()
    {
        var reply = await _http.FetchAsync("v4/spreadsheets/s/values/Sheet1!A1:D5");
        Fixture.AssertSameShape("Sheets/values.get.json", reply.Json);
    }

    [Fact]
    public async Task ValuesAppend_HasTheRealShape()
    {
        var reply = await _http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets/s/values/Sheet1!A1:D:append?valueInputOption=RAW",
            """{"values":[["Hub","$9","1","4/1/2016"],["Spoke","$1","90","4/2/2016"]]}""");
        Fixture.AssertSameShape("Sheets/values.append.json", reply.Json);
        Assert.Equal(("Sheet1!A1:D3", "Sheet1!A4:D5"), (reply.Json.GetProperty("tableRange").GetString(), reply.Json.GetProperty("updates").GetProperty("updatedRange").GetString()));
    }

    [Fact]
    public async Task AddSheet_HasTheRealShape()
    {
        var reply = await _http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets/s:batchUpdate", """{"requests":[{"addSheet":{"properties":{"title":"Videos"}}}]}""");
        Fixture.AssertSameShape("Sheets/batchUpdate.addSheet.json", reply.Json);
    }

    [Fact]
    public async Task MissingValueInputOption_IsTheRealBodyExactly()
    {
        var reply = await _http.SendJsonAsync(HttpMethod.Put, "v4/spreadsheets/s/values/Sheet1!A1", """{"values":[["x"]]}""");
        Fixture.AssertSameJson("Sheets/error.valueInputOption.json", reply.Body);
    }

    [Fact]
    public async Task RateLimited_IsTheRealBodyExactly()
    {
        // A clock that stands still: on the wall clock, writes that straddled a minute's turn were refilled and all
        // answered 200 (seen once in CI on a loaded machine).
        await using var emulator = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions { TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 30, TimeSpan.Zero)) });
        using var http = Http.Client(emulator.BaseAddress, bearer: "t");
        Reply reply;
        do
            reply = await http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets/s/values/Sheet1:append?valueInputOption=RAW", """{"values":[["x"]]}""");
        while (reply.Code == 200 && emulator.Counters.WriteRequests < 100);

        Fixture.AssertSameJson("Sheets/error.rateLimited.json", reply.Body);
    }
}
