using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Pacer.Emulators.Tests.Hosting;

/// <summary>The token endpoint's JWT bearer grant, as a service account key uses it (RFC 7523).</summary>
public sealed class ServiceAccountGrantTests
{
    private const string Email = "writer@pacer-test.iam.gserviceaccount.com";
    private const string Scope = "https://www.googleapis.com/auth/spreadsheets";

    [Fact]
    public async Task ASignedAssertion_GetsATokenForItsScopes_ABadOneGetsGooglesError()
    {
        using var key = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var options = new SheetsEmulatorOptions { TimeProvider = time };
        options.ServiceAccounts[Email] = key.ExportSubjectPublicKeyInfoPem();
        await using var emulator = await SheetsEmulator.StartAsync(options);
        using var http = new HttpClient();
        var now = time.GetUtcNow().ToUnixTimeSeconds();

        var issued = await GrantAsync(http, emulator, Assertion(key, Email, Scope, now, now + 3600));
        var readOnly = await GrantAsync(http, emulator, Assertion(key, Email, Scope + ".readonly", now, now + 3600));
        var forged = await GrantAsync(http, emulator, Assertion(other, Email, Scope, now, now + 3600));
        var unknown = await GrantAsync(http, emulator, Assertion(key, "nobody@pacer-test.iam.gserviceaccount.com", Scope, now, now + 3600));
        var tooLong = await GrantAsync(http, emulator, Assertion(key, Email, Scope, now, now + 7200));
        var stale = await GrantAsync(http, emulator, Assertion(key, Email, Scope, now - 7200, now - 3600));
        var noScope = await GrantAsync(http, emulator, Assertion(key, Email, "", now, now + 3600));
        var garbage = await GrantAsync(http, emulator, "not.a-jwt");

        Assert.Equal(200, issued.Code);
        Assert.Equal(("Bearer", 3599), (issued.Json.GetProperty("token_type").GetString(), issued.Json.GetProperty("expires_in").GetInt32()));
        Assert.False(issued.Json.TryGetProperty("refresh_token", out _));
        Assert.Equal(("invalid_grant", "Invalid JWT Signature."), Error(forged));
        Assert.Equal(("invalid_grant", "Invalid grant: account not found"), Error(unknown));
        Assert.Equal("invalid_grant", Error(tooLong).Error);
        Assert.StartsWith("Invalid JWT: Token must be a short-lived token (60 minutes)", Error(stale).Description, StringComparison.Ordinal);
        Assert.Equal(("invalid_scope", "Invalid OAuth scope or ID token audience provided."), Error(noScope));
        Assert.Equal("invalid_grant", Error(garbage).Error);

        // The token carries the assertion's scopes, and expires by the emulator's clock.
        using var writer = Http.Client(emulator.BaseAddress, bearer: issued.Json.GetProperty("access_token").GetString());
        using var reader = Http.Client(emulator.BaseAddress, bearer: readOnly.Json.GetProperty("access_token").GetString());
        const string Append = "v4/spreadsheets/s/values/Sheet1!A1:append?valueInputOption=RAW";
        Assert.Equal(200, (await writer.SendJsonAsync(HttpMethod.Post, Append, """{"values":[["x"]]}""")).Code);
        Assert.Equal(403, (await reader.SendJsonAsync(HttpMethod.Post, Append, """{"values":[["y"]]}""")).Code);
        Assert.Equal(200, (await reader.FetchAsync("v4/spreadsheets/s/values/Sheet1")).Code);
        time.Advance(TimeSpan.FromSeconds(3599));
        Assert.Equal(401, (await writer.FetchAsync("v4/spreadsheets/s/values/Sheet1")).Code);
        Assert.Equal((8L, 2L), (emulator.Counters.TokenRequests, emulator.Counters.TokensIssued));
    }

    [Fact]
    public async Task WithoutAccountsListed_AnySignatureIsTaken_ButTimesAndScopesAreStillChecked()
    {
        using var key = RSA.Create(2048);
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 1, MaxVideosPerChannel = 20 });
        using var http = new HttpClient();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var issued = await GrantAsync(http, emulator, Assertion(key, Email, "https://www.googleapis.com/auth/youtube.readonly", now, now + 3600));
        var stale = await GrantAsync(http, emulator, Assertion(key, Email, "https://www.googleapis.com/auth/youtube.readonly", now - 7200, now - 3600));

        Assert.Equal(200, issued.Code);
        Assert.Equal(400, stale.Code);
        using var withToken = Http.Client(emulator.BaseAddress, bearer: issued.Json.GetProperty("access_token").GetString());
        Assert.Equal(200, (await withToken.FetchAsync($"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}")).Code);
    }

    [Fact]
    public async Task AListedKeyThatIsNotAPublicKey_StopsTheEmulatorAtStart_NamingTheAccount()
    {
        var options = new SheetsEmulatorOptions();
        options.ServiceAccounts[Email] = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----";

        var error = await Assert.ThrowsAsync<ArgumentException>(() => SheetsEmulator.StartAsync(options));

        Assert.Contains($"ServiceAccounts['{Email}'] is not an RSA public key", error.Message, StringComparison.Ordinal);
    }

    private static (string? Error, string? Description) Error(Reply reply)
    {
        Assert.Equal(400, reply.Code);
        return (reply.Json.GetProperty("error").GetString(), reply.Json.GetProperty("error_description").GetString());
    }

    /// <summary>A service account's assertion as Google.Apis.Auth signs it.</summary>
    private static string Assertion(RSA key, string issuer, string scope, long issuedAt, long expires)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = "0123456789abcdef" }));
        var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = issuer, ["scope"] = scope, ["aud"] = "https://oauth2.googleapis.com/token", ["iat"] = issuedAt, ["exp"] = expires,
        }));
        var signature = key.SignData(Encoding.ASCII.GetBytes(header + "." + claims), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return header + "." + claims + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Task<Reply> GrantAsync(HttpClient http, GoogleEmulator emulator, string assertion) =>
        http.PostFormAsync(emulator.TokenEndpoint, ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion));
}
