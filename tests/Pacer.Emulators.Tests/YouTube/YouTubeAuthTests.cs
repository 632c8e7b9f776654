namespace Pacer.Emulators.Tests.YouTube;

public sealed class YouTubeAuthTests
{
    [Fact]
    public async Task Credentials_MissingKeyIs403_WrongKeyIs400_WrongTokenIs401_AndNoneCostQuota()
    {
        var options = new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20 };
        options.ApiKeys.Add("good-key");
        options.BearerTokens.Add("good-token");
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);
        using var withToken = Http.Client(emulator.BaseAddress, bearer: "good-token");
        using var withBadToken = Http.Client(emulator.BaseAddress, bearer: "stolen");
        var path = $"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}";

        var missing = await http.FetchAsync(path);
        var wrong = await http.FetchAsync(path + "&key=bad-key");
        var badToken = await withBadToken.FetchAsync(path);
        Assert.Equal(0, emulator.QuotaUsedToday);
        var good = await http.FetchAsync(path + "&key=good-key");
        var token = await withToken.FetchAsync(path);

        Assert.Equal((403, "forbidden"), (missing.Code, YouTubeListingTests.Reason(missing)));
        Assert.Equal("The request is missing a valid API key.", missing.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal((400, "badRequest"), (wrong.Code, YouTubeListingTests.Reason(wrong)));
        Assert.Equal("API key not valid. Please pass a valid API key.", wrong.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("API_KEY_INVALID", wrong.Json.GetProperty("error").GetProperty("details")[0].GetProperty("reason").GetString());
        Assert.Equal(401, badToken.Code);
        Assert.Equal(200, good.Code);
        Assert.Equal(200, token.Code);
        Assert.Equal(2, emulator.QuotaUsedToday);
    }
}
