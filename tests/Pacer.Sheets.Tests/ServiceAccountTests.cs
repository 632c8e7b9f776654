using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators;
using Pacer.Testing;

namespace Pacer.Sheets.Tests;

/// <summary>
/// A service account key against the emulator's token endpoint (the JWT bearer grant, signature checked): tokens renewed
/// by the injected clock, a token refused before its end renewed once, and a token service failure as a call never sent.
/// </summary>
public sealed class ServiceAccountTests
{
    private const string Id = SheetsHarness.SpreadsheetId;
    private const string Email = "sync@pacer-test.iam.gserviceaccount.com";

    /// <summary>The client on a key whose token_uri is <paramref name="tokenUri"/> (the emulator's when null), both on <paramref name="time"/> if given.</summary>
    private static async Task<SheetsHarness> StartAsync(RSA key, FakeTimeProvider? time, Uri? tokenUri = null, string? acceptedToken = null)
    {
        var options = new SheetsEmulatorOptions
        {
            TimeProvider = time ?? TimeProvider.System,
            AccessTokenLifetime = TimeSpan.FromHours(1),
            ReadRequestsPerMinutePerUser = 0, WriteRequestsPerMinutePerUser = 0, ReadRequestsPerMinutePerProject = 0, WriteRequestsPerMinutePerProject = 0,
        };
        options.ServiceAccounts[Email] = key.ExportSubjectPublicKeyInfoPem();
        options.BearerTokens.Add(acceptedToken ?? "only-issued-tokens-pass");
        options.SpreadsheetIds.Add(Id);
        var emulator = await SheetsEmulator.StartAsync(options);
        return await SheetsHarness.StartAsync(emulator.BaseAddress,
            o => o.CredentialKind = SheetsCredentialKind.ServiceAccount,
            services =>
            {
                if (time is null)
                    return;
                services.AddSingleton<TimeProvider>(time);
                // No rate limit: a paced call would wait on a clock only the test moves.
                services.AddOptions<PacerOptions>().Configure(p => p.Resources["sheets"] = new ResourceOptions { Concurrency = 10 });
            },
            configuration: new Dictionary<string, string?> { ["Sheets:ServiceAccount"] = KeyJson(key, tokenUri ?? emulator.TokenEndpoint) },
            emulator: emulator);
    }

    private static string KeyJson(RSA key, Uri tokenUri) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = "pacer-test",
        ["private_key_id"] = "0123456789abcdef",
        ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
        ["client_email"] = Email,
        ["client_id"] = "1234567890",
        ["token_uri"] = tokenUri.AbsoluteUri,
    });

    [Fact]
    public async Task Tokens_AreRenewedByTheInjectedClock_NeverRefused()
    {
        using var key = RSA.Create(2048);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(key, time);

        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["first"]]);
        time.Advance(TimeSpan.FromMinutes(30));
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["second"]]);
        // Past the token's end by the test's clock (the system clock has hardly moved): a new one before the call.
        time.Advance(TimeSpan.FromMinutes(31));
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["third"]]);

        Assert.Equal(["first", "second", "third"], harness.Emulator.GetValues(Id, "Sheet1").Select(r => r[0]));
        Assert.Equal((2L, 2L), (harness.Emulator.Counters.TokenRequests, harness.Emulator.Counters.TokensIssued));
        Assert.Equal(3, harness.Emulator.Counters.Requests); // no call refused on the way
        Assert.DoesNotContain("PRIVATE KEY", string.Join("\n", harness.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASpreadsheetNotSharedWithIt_IsRefusedNamingTheAddressToShareWith_UntilShared()
    {
        using var key = RSA.Create(2048);
        await using var harness = await StartAsync(key, time: null);
        harness.Emulator.ShareSpreadsheet(Id, "someone-else@example.com");

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["never"]]));
        harness.Emulator.ShareSpreadsheet(Id, "someone-else@example.com", Email);
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["shared"]]);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.False(error.CredentialRefused);
        Assert.Contains("(403 PERMISSION_DENIED: The caller does not have permission)", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"Share the spreadsheet with the service account's e-mail address, {Email}, as an editor.", error.Message, StringComparison.Ordinal);
        Assert.Equal(["shared"], harness.Emulator.GetValues(Id, "Sheet1").Select(r => r[0]));
    }

    [Fact]
    public async Task ATokenRefusedBeforeItsEnd_IsRenewedOnce_AndTheAppendLandsOnce()
    {
        using var key = RSA.Create(2048);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(key, time);
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["first"]]);

        harness.Emulator.RevokeAccessTokens();
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["second"]]);

        Assert.Equal(["first", "second"], harness.Emulator.GetValues(Id, "Sheet1").Select(r => r[0]));
        Assert.Equal(2, harness.Emulator.Counters.TokensIssued);
        Assert.Equal(3, harness.Emulator.Counters.Requests); // the refused append, then the same append with the new token
    }

    [Fact]
    public async Task AnotherAccountsKey_IsAPermanentError_AndNothingIsSent()
    {
        using var key = RSA.Create(2048);
        using var stolen = RSA.Create(2048);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(key, time);
        var wrong = await SheetsHarness.StartAsync(harness.Emulator.BaseAddress,
            o => o.CredentialKind = SheetsCredentialKind.ServiceAccount,
            configuration: new Dictionary<string, string?> { ["Sheets:ServiceAccount"] = KeyJson(stolen, harness.Emulator.TokenEndpoint) });
        await using (wrong)
        {
            var error = await Assert.ThrowsAsync<SheetsRequestException>(() => wrong.Client.AppendValuesAsync(Id, "Sheet1!A1", [["never"]]));

            Assert.True(error.CredentialRefused);
            Assert.Contains("(invalid_grant: Invalid JWT Signature.)", error.Message, StringComparison.Ordinal);
        }
        Assert.Equal(0, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task TokenServiceServerError_BeforeAnAppend_IsRetried_TheAppendWasNeverSentSoItIsNotInDoubt()
    {
        var answered = 0;
        await using var tokens = await TestServer.StartAsync((context, _) => Interlocked.Increment(ref answered) == 1
            ? TestServer.AnswerAsync(context, 503, """{"error":"internal_failure","error_description":"Backend Error"}""")
            : TestServer.AnswerAsync(context, 200, """{"access_token":"ya29.second-try","expires_in":3599,"token_type":"Bearer"}"""));
        using var key = RSA.Create(2048);
        await using var harness = await StartAsync(key, time: null, new Uri(tokens.BaseAddress, "token"), acceptedToken: "ya29.second-try");

        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["once"]]);

        Assert.Equal(["once"], harness.Emulator.GetValues(Id, "Sheet1").Select(r => r[0]));
        Assert.Equal(2, tokens.Requests.Count);
        Assert.Equal(1, harness.Emulator.Counters.Requests); // the append; no read-back to learn whether it landed
    }
}
