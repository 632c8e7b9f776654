using Microsoft.Extensions.Time.Testing;

namespace Pacer.Emulators.Tests.Sheets;

public sealed class SheetsRateLimitTests
{
    [Fact]
    public async Task Writes_The61stInAMinute_Is429ResourceExhausted_ThenOkAfterTheMinute()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 5, TimeSpan.Zero));
        await using var emulator = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions { TimeProvider = time });
        using var http = Http.Client(emulator.BaseAddress, bearer: "user-1");
        Task<Reply> WriteAsync(int n) =>
            http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets/s/values/Sheet1!A1:append?valueInputOption=RAW", $$"""{"values":[["{{n}}"]]}""");

        for (var n = 1; n <= 60; n++)
            Assert.Equal(200, (await WriteAsync(n)).Code);
        var refused = await WriteAsync(61);
        var read = await http.FetchAsync("v4/spreadsheets/s/values/Sheet1");
        time.Advance(TimeSpan.FromSeconds(54));
        var stillRefused = await WriteAsync(61);
        time.Advance(TimeSpan.FromSeconds(1));
        var nextMinute = await WriteAsync(61);

        Assert.Equal(429, refused.Code);
        var error = refused.Json.GetProperty("error");
        Assert.Equal((429, "RESOURCE_EXHAUSTED"), (error.GetProperty("code").GetInt32(), error.GetProperty("status").GetString()));
        Assert.Equal("Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'.",
            error.GetProperty("message").GetString());
        var info = error.GetProperty("details")[0];
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info.GetProperty("@type").GetString());
        Assert.Equal("RATE_LIMIT_EXCEEDED", info.GetProperty("reason").GetString());
        var metadata = info.GetProperty("metadata");
        Assert.Equal(("sheets.googleapis.com/write_requests", "WriteRequestsPerMinutePerUser", "60"),
            (metadata.GetProperty("quota_metric").GetString(), metadata.GetProperty("quota_limit").GetString(), metadata.GetProperty("quota_limit_value").GetString()));
        Assert.Equal(200, read.Code);
        Assert.Equal(429, stillRefused.Code);
        Assert.Equal(200, nextMinute.Code);
        Assert.Equal(61, emulator.GetValues("s", "Sheet1").Count);
        Assert.Equal(2, emulator.Counters.RateLimited);
        Assert.Equal((61, 1), (emulator.Counters.WriteRequests, emulator.Counters.ReadRequests));
    }

    [Fact]
    public async Task Limits_ArePerUser_AndThenPerProject()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions
        {
            TimeProvider = time,
            ReadRequestsPerMinutePerUser = 2,
            ReadRequestsPerMinutePerProject = 3,
        });
        using var first = Http.Client(emulator.BaseAddress, bearer: "a");
        using var second = Http.Client(emulator.BaseAddress, bearer: "b");
        const string Read = "v4/spreadsheets/s/values/Sheet1";

        var codes = new List<int>
        {
            (await first.FetchAsync(Read)).Code,
            (await first.FetchAsync(Read)).Code,
            (await first.FetchAsync(Read)).Code,
            (await second.FetchAsync(Read)).Code,
        };
        var project = await second.FetchAsync(Read);

        Assert.Equal([200, 200, 429, 200], codes);
        Assert.Equal(429, project.Code);
        Assert.Equal("ReadRequestsPerMinutePerProject", project.Json.GetProperty("error").GetProperty("details")[0].GetProperty("metadata").GetProperty("quota_limit").GetString());
    }

    [Fact]
    public async Task TokensIssuedForOneGrant_AreOneUser_ForThePerUserLimits()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 5, TimeSpan.Zero));
        await using var emulator = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions { TimeProvider = time, WriteRequestsPerMinutePerUser = 2 });
        using var anonymous = Http.Client(emulator.BaseAddress);
        async Task<string> TokenAsync(string grant) =>
            (await anonymous.PostFormAsync(emulator.TokenEndpoint, ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", grant)))
                .Json.GetProperty("access_token").GetString()!;
        async Task<int> WriteAsync(string token)
        {
            using var http = Http.Client(emulator.BaseAddress, bearer: token);
            return (await http.SendJsonAsync(HttpMethod.Post, "v4/spreadsheets/s/values/Sheet1!A1:append?valueInputOption=RAW", """{"values":[["x"]]}""")).Code;
        }

        var first = await TokenAsync("1//alice");
        var renewed = await TokenAsync("1//alice");
        Assert.NotEqual(first, renewed);

        Assert.Equal(200, await WriteAsync(first));
        Assert.Equal(200, await WriteAsync(renewed));
        Assert.Equal(429, await WriteAsync(renewed));
        Assert.Equal(200, await WriteAsync(await TokenAsync("1//bob")));   // another user has a minute of their own
        emulator.RevokeAccessTokens();
        Assert.Equal(401, await WriteAsync(renewed));
        Assert.Equal((3L, 3L), (emulator.Counters.TokenRequests, emulator.Counters.TokensIssued));
    }
}
