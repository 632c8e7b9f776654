using Microsoft.Extensions.Time.Testing;

namespace Pacer.Emulators.Tests.YouTube;

public sealed class YouTubeAuthTests
{
    [Fact]
    public async Task Credentials_MissingKeyIs403_WrongKeyIs400_InTheQueryOrTheHeader_WrongTokenIs401_AndNoneCostQuota()
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
        using var withWrongKeyHeader = WithKeyHeader(emulator, "bad-key");
        using var withKeyHeader = WithKeyHeader(emulator, "good-key");
        var wrongInHeader = await withWrongKeyHeader.FetchAsync(path);
        var good = await http.FetchAsync(path + "&key=good-key");
        var goodInHeader = await withKeyHeader.FetchAsync(path);
        var token = await withToken.FetchAsync(path);

        Assert.Equal((403, "forbidden"), (missing.Code, YouTubeListingTests.Reason(missing)));
        Assert.Equal("The request is missing a valid API key.", missing.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal((400, "badRequest"), (wrong.Code, YouTubeListingTests.Reason(wrong)));
        Assert.Equal("API key not valid. Please pass a valid API key.", wrong.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("API_KEY_INVALID", wrong.Json.GetProperty("error").GetProperty("details")[0].GetProperty("reason").GetString());
        Assert.Equal(401, badToken.Code);
        Assert.Equal(400, wrongInHeader.Code);
        Assert.Equal(200, good.Code);
        Assert.Equal(200, goodInHeader.Code);
        Assert.Equal(200, token.Code);
        Assert.Equal(3, emulator.QuotaUsedToday);
    }

    private static HttpClient WithKeyHeader(YouTubeEmulator emulator, string key)
    {
        var client = Http.Client(emulator.BaseAddress);
        client.DefaultRequestHeaders.Add("X-Goog-Api-Key", key);
        return client;
    }

    [Fact]
    public async Task TokenEndpoint_IssuesAccessTokensForARefreshToken_ThatTheApiTakesUntilTheyExpireOrTheGrantIsRevoked()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
        var options = new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20, TimeProvider = time, AccessTokenLifetime = TimeSpan.FromMinutes(60) };
        options.RefreshTokens.Add("1//refresh-good");
        options.BearerTokens.Add("some-configured-token"); // issued tokens pass besides the configured ones
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);
        var path = $"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}";

        var issued = await TokenAsync(http, emulator, ("grant_type", "refresh_token"), ("client_id", "c.apps.googleusercontent.com"), ("client_secret", "s"), ("refresh_token", "1//refresh-good"));
        Assert.Equal(200, issued.Code);
        var token = issued.Json.GetProperty("access_token").GetString()!;
        Assert.StartsWith("ya29.", token, StringComparison.Ordinal);
        Assert.Equal(3600, issued.Json.GetProperty("expires_in").GetInt32());
        Assert.Equal("Bearer", issued.Json.GetProperty("token_type").GetString());
        Assert.Contains("no-store", issued.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        using var withToken = Http.Client(emulator.BaseAddress, bearer: token);
        Assert.Equal(200, (await withToken.FetchAsync(path)).Code);

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(200, (await withToken.FetchAsync(path)).Code);
        time.Advance(TimeSpan.FromMinutes(1));
        var expired = await withToken.FetchAsync(path);
        Assert.Equal((401, "authError"), (expired.Code, YouTubeListingTests.Reason(expired)));

        var second = (await TokenAsync(http, emulator, ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", "1//refresh-good"))).Json.GetProperty("access_token").GetString()!;
        using var withSecond = Http.Client(emulator.BaseAddress, bearer: second);
        Assert.Equal(200, (await withSecond.FetchAsync(path)).Code);
        emulator.RevokeRefreshToken("1//refresh-good");
        Assert.Equal(401, (await withSecond.FetchAsync(path)).Code);
        var revoked = await TokenAsync(http, emulator, ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", "1//refresh-good"));
        Assert.Equal((400, "invalid_grant", "Token has been expired or revoked."),
            (revoked.Code, revoked.Json.GetProperty("error").GetString(), revoked.Json.GetProperty("error_description").GetString()));

        var unknown = await TokenAsync(http, emulator, ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", "1//never-issued"));
        var noSecret = await TokenAsync(http, emulator, ("grant_type", "refresh_token"), ("client_id", "c"), ("refresh_token", "1//refresh-good"));
        var codeGrant = await TokenAsync(http, emulator, ("grant_type", "authorization_code"), ("client_id", "c"), ("client_secret", "s"), ("code", "x"));
        Assert.Equal((400, "invalid_grant"), (unknown.Code, unknown.Json.GetProperty("error").GetString()));
        Assert.Equal((400, "invalid_request"), (noSecret.Code, noSecret.Json.GetProperty("error").GetString()));
        Assert.Equal((400, "invalid_grant", "Malformed auth code."),
            (codeGrant.Code, codeGrant.Json.GetProperty("error").GetString(), codeGrant.Json.GetProperty("error_description").GetString()));

        // Token requests are another service's: no quota, not among the API's requests.
        Assert.Equal((6L, 2L), (emulator.Counters.TokenRequests, emulator.Counters.TokensIssued));
        Assert.Equal(5, emulator.Counters.Requests);
        Assert.Equal(3, emulator.QuotaUsedToday); // the two 401s cost nothing
    }

    [Fact]
    public async Task ConsentPage_RedirectsToTheLoopbackWithACode_RedeemedOnce_WithItsPkceVerifier_ForARefreshTokenThatWorks()
    {
        var options = new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20 };
        options.RefreshTokens.Add("1//some-other-user"); // a refresh token issued by the consent flow is taken besides these
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = emulator.BaseAddress };
        const string verifier = "a-code-verifier-of-at-least-43-characters-0123456789";
        var challenge = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string Consent(string redirect) => $"o/oauth2/auth?client_id=c&redirect_uri={Uri.EscapeDataString(redirect)}&response_type=code" +
            $"&scope={Uri.EscapeDataString(YouTubeReadonly)}&state=st4te&access_type=offline&code_challenge={challenge}&code_challenge_method=S256";

        using var consent = await http.GetAsync(Consent("http://127.0.0.1:9/"));
        Assert.Equal(System.Net.HttpStatusCode.Found, consent.StatusCode);
        var back = consent.Headers.Location!;
        Assert.StartsWith("http://127.0.0.1:9/?state=st4te&code=", back.OriginalString, StringComparison.Ordinal);
        var code = Uri.UnescapeDataString(back.Query.Split('&').Single(p => p.StartsWith("code=", StringComparison.Ordinal))[5..]);

        var wrongVerifier = await TokenAsync(http, emulator, ("grant_type", "authorization_code"), ("client_id", "c"), ("client_secret", "s"), ("code", code),
            ("redirect_uri", "http://127.0.0.1:9/"), ("code_verifier", "not-the-verifier-not-the-verifier-not-the-verifier"));
        Assert.Equal((400, "invalid_grant"), (wrongVerifier.Code, wrongVerifier.Json.GetProperty("error").GetString()));

        using var again = await http.GetAsync(Consent("http://127.0.0.1:9/"));
        code = Uri.UnescapeDataString(again.Headers.Location!.Query.Split('&').Single(p => p.StartsWith("code=", StringComparison.Ordinal))[5..]);
        var redeemed = await TokenAsync(http, emulator, ("grant_type", "authorization_code"), ("client_id", "c"), ("client_secret", "s"), ("code", code),
            ("redirect_uri", "http://127.0.0.1:9/"), ("code_verifier", verifier));
        var twice = await TokenAsync(http, emulator, ("grant_type", "authorization_code"), ("client_id", "c"), ("client_secret", "s"), ("code", code),
            ("redirect_uri", "http://127.0.0.1:9/"), ("code_verifier", verifier));
        Assert.Equal(200, redeemed.Code);
        Assert.Equal(YouTubeReadonly, redeemed.Json.GetProperty("scope").GetString());
        Assert.Equal((400, "invalid_grant"), (twice.Code, twice.Json.GetProperty("error").GetString()));
        var refreshToken = redeemed.Json.GetProperty("refresh_token").GetString()!;
        var refreshed = await TokenAsync(http, emulator, ("grant_type", "refresh_token"), ("client_id", "c"), ("client_secret", "s"), ("refresh_token", refreshToken));
        Assert.Equal(200, refreshed.Code);

        using var notLoopback = await http.GetAsync(Consent("https://example.org/callback"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, notLoopback.StatusCode);
        Assert.Contains("redirect_uri_mismatch", await notLoopback.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        emulator.RefuseConsent = true;
        using var refused = await http.GetAsync(Consent("http://127.0.0.1:9/"));
        Assert.Equal("http://127.0.0.1:9/?state=st4te&error=access_denied", refused.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Mine_IsTheTokensUsersChannel_AndNeedsAToken()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 3, MaxVideosPerChannel = 20 });
        using var withKey = Http.Client(emulator.BaseAddress);
        using var withToken = Http.Client(emulator.BaseAddress, bearer: "ya29.someone");
        const string path = "youtube/v3/channels?part=id,contentDetails&mine=true";

        var noChannel = await withToken.FetchAsync(path);
        emulator.MyChannelId = emulator.Channels[1].Id;
        var mine = await withToken.FetchAsync(path);
        var byKey = await withKey.FetchAsync(path + "&key=k");

        Assert.Equal(200, noChannel.Code);
        Assert.False(noChannel.Json.TryGetProperty("items", out _));
        Assert.Equal(emulator.Channels[1].Id, mine.Json.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.Equal((401, "required"), (byKey.Code, YouTubeListingTests.Reason(byKey)));
        Assert.Throws<ArgumentException>(() => emulator.MyChannelId = "UCnobodynobodynobodynob");
    }

    private const string YouTubeReadonly = "https://www.googleapis.com/auth/youtube.readonly";

    private static Task<Reply> TokenAsync(HttpClient http, YouTubeEmulator emulator, params (string Name, string Value)[] form) =>
        http.PostFormAsync(emulator.TokenEndpoint, form);
}
