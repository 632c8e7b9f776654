using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pacer.Emulators;

namespace Pacer.Sheets.Tests;

/// <summary>Writing as a user (an OAuth client and their refresh token) rather than as a service account.</summary>
public sealed class AuthorizedUserTests
{
    private const string Id = SheetsHarness.SpreadsheetId;
    private const string ClientSecret = "GOCSPX-sheets-client-secret";
    private const string RefreshToken = "1//sheets-user-refresh-token";

    private static Task<SheetsHarness> StartAsync() => StartAsync(null);

    private static async Task<SheetsHarness> StartAsync(Action<SheetsEmulatorOptions>? emulator)
    {
        var options = new SheetsEmulatorOptions
        {
            ReadRequestsPerMinutePerUser = 0, WriteRequestsPerMinutePerUser = 0, ReadRequestsPerMinutePerProject = 0, WriteRequestsPerMinutePerProject = 0,
        };
        options.RefreshTokens.Add(RefreshToken);
        options.BearerTokens.Add("only-issued-tokens-pass");
        options.SpreadsheetIds.Add(Id);
        emulator?.Invoke(options);
        var started = await SheetsEmulator.StartAsync(options);
        var credential = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "authorized_user",
            ["client_id"] = "1234-sheets.apps.googleusercontent.com",
            ["client_secret"] = ClientSecret,
            ["refresh_token"] = RefreshToken,
            ["token_uri"] = started.TokenEndpoint.AbsoluteUri,
        });
        return await SheetsHarness.StartAsync(started.BaseAddress, o => o.CredentialKind = SheetsCredentialKind.AuthorizedUser,
            configuration: new Dictionary<string, string?> { ["Sheets:AuthorizedUser"] = credential }, emulator: started);
    }

    [Fact]
    public async Task WritesAsTheUser_ATokenRefusedBeforeItsEnd_IsRenewedOnce_AndTheAppendLandsOnce()
    {
        await using var harness = await StartAsync();

        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["first"]]);
        harness.Emulator.RevokeAccessTokens();
        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["second"]]);

        Assert.Equal(["first", "second"], harness.Emulator.GetValues(Id, "Sheet1").Select(r => r[0]));
        Assert.Equal((2L, 2L), (harness.Emulator.Counters.TokenRequests, harness.Emulator.Counters.TokensIssued));
        Assert.Equal(3, harness.Emulator.Counters.Requests); // the refused append, then the same append with the new token
        var logs = string.Join("\n", harness.Logs.Lines);
        Assert.DoesNotContain(ClientSecret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(RefreshToken, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("ya29.", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASpreadsheetSharedWithAnotherUser_IsRefusedSayingToShareItWithTheUser()
    {
        await using var harness = await StartAsync();
        harness.Emulator.ShareSpreadsheet(Id, "1//another-users-refresh-token");

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.GetSpreadsheetAsync(Id));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.False(error.CredentialRefused);
        Assert.EndsWith("(403 PERMISSION_DENIED: The caller does not have permission). Check that the spreadsheet is shared with the user the credential is for, as an editor.",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedGrant_IsAPermanentError_NamingWhereTheCredentialCameFrom_AndNothingIsWritten()
    {
        await using var harness = await StartAsync();
        await harness.Client.GetSpreadsheetAsync(Id);
        harness.Emulator.RevokeRefreshToken(RefreshToken);

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["never"]]));

        Assert.True(error.CredentialRefused);
        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Contains("read from the configuration key Sheets:AuthorizedUser (invalid_grant: Token has been expired or revoked.)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(RefreshToken, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(harness.Emulator.GetValues(Id, "Sheet1"));
    }

    [Fact]
    public async Task ReadOnlyGrant_Reads_ButAnAppendIsAPermanentError_SayingHowToAuthorizeAgain()
    {
        await using var harness = await StartAsync(e => e.RefreshTokenScope = "https://www.googleapis.com/auth/spreadsheets.readonly");
        await harness.Client.GetSpreadsheetAsync(Id);

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["never"]]));

        Assert.True(error.CredentialRefused);
        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Contains("read from the configuration key Sheets:AuthorizedUser: its user did not grant it the spreadsheets scope", error.Message, StringComparison.Ordinal);
        Assert.Contains("pacer authorize --client-secret FILE --scope spreadsheets", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Emulator.GetValues(Id, "Sheet1"));
        Assert.Equal(2, harness.Emulator.Counters.Requests); // the read, the refused append: neither retried nor read back
    }

    [Fact]
    public async Task TokenEndpointServerError_BeforeAnAppend_IsRetried_TheAppendWasNeverSentSoItIsNotInDoubt()
    {
        var answered = 0;
        await using var tokens = await Pacer.Testing.TestServer.StartAsync((context, _) => Interlocked.Increment(ref answered) == 1
            ? Pacer.Testing.TestServer.AnswerAsync(context, 503, """{"error":"internal_failure","error_description":"Backend Error"}""")
            : Pacer.Testing.TestServer.AnswerAsync(context, 200, """{"access_token":"ya29.second-try","expires_in":3599,"token_type":"Bearer"}"""));
        var credential = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "authorized_user", ["client_id"] = "c", ["client_secret"] = ClientSecret, ["refresh_token"] = RefreshToken,
            ["token_uri"] = new Uri(tokens.BaseAddress, "token").AbsoluteUri,
        });
        await using var harness = await SheetsHarness.StartAsync(
            e => { e.BearerTokens.Clear(); e.BearerTokens.Add("ya29.second-try"); },
            o => o.CredentialKind = SheetsCredentialKind.AuthorizedUser,
            configuration: new Dictionary<string, string?> { ["Sheets:AuthorizedUser"] = credential });

        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["once"]]);

        Assert.Equal(["once"], harness.Emulator.GetValues(Id, "Sheet1").Select(r => r[0]));
        Assert.Equal(2, tokens.Requests.Count);
        Assert.Equal(1, harness.Emulator.Counters.Requests); // the append; no read-back to learn whether it landed
    }

    [Fact]
    public async Task NotAnAuthorizedUser_StopsTheHostAtStart_WithoutQuotingIt()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sheets:AuthorizedUser"] = """{"type":"service_account","private_key":"very-secret-value","client_email":"a@b"}""",
        });
        builder.Services.AddSheets(o => o.CredentialKind = SheetsCredentialKind.AuthorizedUser);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("The Google Sheets authorized-user credential read from the configuration key Sheets:AuthorizedUser cannot be used: " +
            "its \"type\" is \"service_account\", not \"authorized_user\"", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret-value", error.Message, StringComparison.Ordinal);
    }
}
