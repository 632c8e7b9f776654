namespace Pacer.Emulators.Tests.Hosting;

/// <summary>
/// A token carries the scopes its user granted on the consent page, and each API method takes only its own: what a user
/// who authorized one API and then uses another runs into.
/// </summary>
public sealed class OAuthScopeTests
{
    private const string Auth = "https://www.googleapis.com/auth/";

    [Fact]
    public async Task YouTube_ATokenWithoutAYouTubeScope_Is403InsufficientPermissions_AndCostsNoQuota()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20 });
        var path = $"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}";
        var sheetsOnly = await GrantAsync(emulator, Auth + "spreadsheets");
        var both = await GrantAsync(emulator, $"{Auth}spreadsheets {Auth}youtube.readonly");
        using var withSheetsOnly = Http.Client(emulator.BaseAddress, bearer: sheetsOnly.AccessToken);
        using var withBoth = Http.Client(emulator.BaseAddress, bearer: both.AccessToken);

        var refused = await withSheetsOnly.FetchAsync(path);
        var renewed = await RefreshAsync(emulator, sheetsOnly.RefreshToken);
        using var withRenewed = Http.Client(emulator.BaseAddress, bearer: renewed);
        var stillRefused = await withRenewed.FetchAsync(path);
        var accepted = await withBoth.FetchAsync(path);

        Assert.Equal(403, refused.Code);
        var error = refused.Json.GetProperty("error");
        Assert.Equal("Request had insufficient authentication scopes.", error.GetProperty("message").GetString());
        Assert.Equal("PERMISSION_DENIED", error.GetProperty("status").GetString());
        Assert.Equal("insufficientPermissions", YouTube.YouTubeListingTests.Reason(refused));
        Assert.Equal("ACCESS_TOKEN_SCOPE_INSUFFICIENT", error.GetProperty("details")[0].GetProperty("reason").GetString());
        Assert.Equal(
            $"Bearer realm=\"https://accounts.google.com/\", error=\"insufficient_scope\", scope=\"{Auth}youtube {Auth}youtube.force-ssl {Auth}youtube.readonly {Auth}youtubepartner\"",
            Assert.Single(refused.Headers.WwwAuthenticate).ToString());
        Assert.Equal(403, stillRefused.Code); // a renewal keeps what the user granted
        Assert.Equal(200, accepted.Code);
        Assert.Equal(1, emulator.QuotaUsedToday);
    }

    [Fact]
    public async Task Sheets_AReadOnlyTokenReads_ButCannotWrite()
    {
        await using var emulator = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions());
        var readOnly = await GrantAsync(emulator, Auth + "spreadsheets.readonly");
        var youTubeOnly = await GrantAsync(emulator, Auth + "youtube.readonly");
        var full = await GrantAsync(emulator, Auth + "drive.file");
        using var withReadOnly = Http.Client(emulator.BaseAddress, bearer: readOnly.AccessToken);
        using var withYouTubeOnly = Http.Client(emulator.BaseAddress, bearer: youTubeOnly.AccessToken);
        using var withFull = Http.Client(emulator.BaseAddress, bearer: full.AccessToken);
        const string Append = "v4/spreadsheets/s/values/Sheet1!A1:append?valueInputOption=RAW";
        const string Body = """{"values":[["x"]]}""";

        var write = await withReadOnly.SendJsonAsync(HttpMethod.Post, Append, Body);
        var read = await withReadOnly.FetchAsync("v4/spreadsheets/s/values/Sheet1");
        var readWithoutScope = await withYouTubeOnly.FetchAsync("v4/spreadsheets/s/values/Sheet1");
        var written = await withFull.SendJsonAsync(HttpMethod.Post, Append, Body);

        Assert.Equal(403, write.Code);
        var error = write.Json.GetProperty("error");
        Assert.Equal(("Request had insufficient authentication scopes.", "PERMISSION_DENIED"),
            (error.GetProperty("message").GetString(), error.GetProperty("status").GetString()));
        Assert.Equal("ACCESS_TOKEN_SCOPE_INSUFFICIENT", error.GetProperty("details")[0].GetProperty("reason").GetString());
        // The scopes a write takes (a read would also take the read-only ones).
        Assert.EndsWith($"scope=\"{Auth}drive {Auth}drive.file {Auth}spreadsheets\"", Assert.Single(write.Headers.WwwAuthenticate).ToString(), StringComparison.Ordinal);
        Assert.Contains($"{Auth}spreadsheets.readonly", Assert.Single(readWithoutScope.Headers.WwwAuthenticate).ToString(), StringComparison.Ordinal);
        Assert.Empty(read.Headers.WwwAuthenticate);
        Assert.Equal(200, read.Code);
        Assert.Equal(403, readWithoutScope.Code);
        Assert.Equal(200, written.Code);
        Assert.Single(emulator.GetValues("s", "Sheet1"));
    }

    [Fact]
    public async Task ConsentWithoutAScope_IsAnErrorPage()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20 });
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = emulator.BaseAddress };

        using var page = await http.GetAsync($"o/oauth2/auth?client_id=c&redirect_uri={Uri.EscapeDataString("http://127.0.0.1:9/")}&response_type=code");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("Missing required parameter: scope", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Consents to <paramref name="scope"/> (space-separated) and redeems the code: the user's first access token and refresh token.</summary>
    private static async Task<(string AccessToken, string RefreshToken)> GrantAsync(GoogleEmulator emulator, string scope)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        const string Redirect = "http://127.0.0.1:9/";
        using var consent = await http.GetAsync(new Uri(emulator.AuthorizationEndpoint,
            $"?client_id=c&redirect_uri={Uri.EscapeDataString(Redirect)}&response_type=code&scope={Uri.EscapeDataString(scope)}"));
        var code = Uri.UnescapeDataString(consent.Headers.Location!.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("code=", StringComparison.Ordinal))[5..]);
        var tokens = await http.PostFormAsync(emulator.TokenEndpoint, ("grant_type", "authorization_code"), ("client_id", "c"), ("client_secret", "s"), ("code", code), ("redirect_uri", Redirect));
        Assert.Equal(scope, tokens.Json.GetProperty("scope").GetString());
        return (tokens.Json.GetProperty("access_token").GetString()!, tokens.Json.GetProperty("refresh_token").GetString()!);
    }

    private static async Task<string> RefreshAsync(GoogleEmulator emulator, string refreshToken)
    {
        using var http = new HttpClient();
        var tokens = await http.PostFormAsync(emulator.TokenEndpoint, ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", refreshToken));
        return tokens.Json.GetProperty("access_token").GetString()!;
    }
}
