using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pacer.Testing;

namespace Pacer.Sheets.Tests;

/// <summary>Service account keys and access tokens: where they are read from, what a missing or bad one says, and that none is ever logged.</summary>
public sealed class CredentialTests
{
    private const string Id = SheetsHarness.SpreadsheetId;
    private const string IssuedToken = "ya29.issued-by-the-token-server";

    private static Task<TestServer> IssuingTokenServerAsync() => TestServer.StartAsync((context, _) => TestServer.AnswerAsync(context, 200,
        $$"""{"access_token":"{{IssuedToken}}","expires_in":3600,"token_type":"Bearer"}"""));

    private static Task<TestServer> RefusingTokenServerAsync() => TestServer.StartAsync((context, _) => TestServer.AnswerAsync(context, 400,
        """{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"""));

    /// <summary>The client on a service account key read from <paramref name="keyFile"/>; the emulator takes the token the key's server issues.</summary>
    private static Task<SheetsHarness> WithKeyFileAsync(string keyFile) => SheetsHarness.StartAsync(
        e => { e.BearerTokens.Clear(); e.BearerTokens.Add(IssuedToken); },
        o => { o.CredentialKind = SheetsCredentialKind.ServiceAccount; o.CredentialFile = keyFile; },
        configuration: new Dictionary<string, string?>());

    [Fact]
    public async Task ServiceAccountKey_GetsATokenFromItsTokenUri_ThenUsesItUntilItExpires()
    {
        await using var tokens = await IssuingTokenServerAsync();
        using var directory = new TempDirectory();
        var keyFile = directory.File("service-account.json");
        await File.WriteAllTextAsync(keyFile, ServiceAccountJson(new Uri(tokens.BaseAddress, "token")));
        await using var harness = await WithKeyFileAsync(keyFile);

        await harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["a"]]);
        await harness.Client.GetValuesAsync(Id, "Sheet1!A:A");
        await harness.Client.GetSpreadsheetAsync(Id);

        var request = Assert.Single(tokens.Requests); // cached for the next calls
        Assert.Equal("POST", request.Method);
        var form = request.Body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", form["grant_type"]);
        var payload = JwtPayload(form["assertion"]);
        Assert.Equal("sync@pacer-test.iam.gserviceaccount.com", payload.GetProperty("iss").GetString());
        Assert.Equal("https://www.googleapis.com/auth/spreadsheets", payload.GetProperty("scope").GetString());
        Assert.Equal(3, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task ServiceAccountKey_RotatedInItsFile_IsUsedFromTheNextCall_AMalformedOneLeavesTheOneBefore()
    {
        await using var revoked = await RefusingTokenServerAsync();
        await using var current = await IssuingTokenServerAsync();
        using var directory = new TempDirectory();
        var keyFile = directory.File("service-account.json");
        await File.WriteAllTextAsync(keyFile, ServiceAccountJson(new Uri(revoked.BaseAddress, "token")));
        await using var harness = await WithKeyFileAsync(keyFile);
        Assert.True((await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.GetSpreadsheetAsync(Id))).CredentialRefused);

        // A new key written into the file (a Kubernetes Secret volume, a rotation script): the next call uses it.
        await File.WriteAllTextAsync(keyFile, ServiceAccountJson(new Uri(current.BaseAddress, "token")));
        File.SetLastWriteTimeUtc(keyFile, DateTime.UtcNow.AddSeconds(2));
        await harness.Client.GetSpreadsheetAsync(Id);
        Assert.Single(current.Requests);

        // A half-written or wrong file is not a key: the one before stays in use, and that is said once.
        await File.WriteAllTextAsync(keyFile, "{ \"type\": \"service_acc");
        File.SetLastWriteTimeUtc(keyFile, DateTime.UtcNow.AddSeconds(4));
        await harness.Client.GetSpreadsheetAsync(Id);
        await harness.Client.GetValuesAsync(Id, "Sheet1!A:A");
        var error = Assert.Single(harness.Logs.Lines, l => l.StartsWith("Error Pacer.Sheets", StringComparison.Ordinal));
        Assert.Contains($"read from the file {keyFile} cannot be used", error, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", string.Join("\n", harness.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceAccountKey_Refused_IsAPermanentErrorNamingTheFile()
    {
        await using var tokens = await RefusingTokenServerAsync();
        using var directory = new TempDirectory();
        var keyFile = directory.File("service-account.json");
        await File.WriteAllTextAsync(keyFile, ServiceAccountJson(new Uri(tokens.BaseAddress, "token")));
        await using var harness = await WithKeyFileAsync(keyFile);

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.GetSpreadsheetAsync(Id));

        Assert.True(error.CredentialRefused);
        Assert.Contains($"the file {keyFile}", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_grant", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task NotAServiceAccountKey_StopsTheHostAtStart_WithoutQuotingIt()
    {
        const string notAKey = """{"type":"authorized_user","client_id":"x","client_secret":"very-secret-value","refresh_token":"r"}""";
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sheets:ServiceAccount"] = notAKey });
        builder.Services.AddSheets();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("The Sheets service account key read from the configuration key Sheets:ServiceAccount cannot be used", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingCredential_StopsTheHostAtStart_NamingEveryPlaceToSetIt()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSheets(o => o.CredentialEnvironmentVariable = "PACER_TEST_UNSET_" + Guid.NewGuid().ToString("N"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("No Sheets service account key found", error.Message, StringComparison.Ordinal);
        Assert.Contains("the configuration key Sheets:ServiceAccount", error.Message, StringComparison.Ordinal);
        Assert.Contains("the environment variable PACER_TEST_UNSET_", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultPlaces_AreTheDocumentedOnes()
    {
        Assert.Equal("PACER_SHEETS_SERVICE_ACCOUNT", new SheetsOptions().EnvironmentVariableOrDefault);
        Assert.Equal("Sheets:ServiceAccount", new SheetsOptions().ConfigurationKeyOrDefault);
        var token = new SheetsOptions { CredentialKind = SheetsCredentialKind.AccessToken };
        Assert.Equal("PACER_SHEETS_ACCESS_TOKEN", token.EnvironmentVariableOrDefault);
        Assert.Equal("Sheets:AccessToken", token.ConfigurationKeyOrDefault);
    }

    [Fact]
    public async Task WrongToken_IsAPermanentError_WithoutTheToken()
    {
        await using var harness = await SheetsHarness.StartAsync(configuration: new Dictionary<string, string?> { ["Sheets:AccessToken"] = "ya29.wrong-token-wrong" });

        var error = await Assert.ThrowsAsync<SheetsRequestException>(() => harness.Client.GetSpreadsheetAsync(Id));

        Assert.True(error.CredentialRefused);
        Assert.Contains("the configuration key Sheets:AccessToken", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ya29.wrong-token-wrong", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task TheToken_NeverAppearsInLogsOrExceptions()
    {
        var errors = new List<Exception>();
        await using var harness = await SheetsHarness.StartAsync(e => { e.Seed = 4; e.Faults.ServerErrorRate = 0.3; });
        await using (var sink = harness.Sink("Log test"))
        {
            await sink.OpenAsync(SheetsHarness.Schema, default);
            await sink.WriteAsync(SheetsHarness.Rows(0, 20), default);
            await sink.CompleteAsync(default);
        }
        foreach (var call in new Func<Task>[]
        {
            () => harness.Client.GetValuesAsync(Id, "'Missing tab'!A:A"),
            () => harness.Client.AppendValuesAsync(Id, "Sheet1!A1", [["x"]]),
            () => harness.Client.BatchUpdateAsync(Id, [SheetsRequest.AddSheet("Sheet1")]),
        })
        {
            try
            {
                await call();
            }
            catch (Exception e) when (e is SheetsRequestException or SheetsOutcomeUnknownException or HttpRequestException)
            {
                errors.Add(e);
            }
        }

        Assert.NotEmpty(errors);
        Assert.NotEmpty(harness.Logs.Lines);
        Assert.DoesNotContain(harness.Logs.Lines, l => l.Contains(SheetsHarness.Token, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.ToString().Contains(SheetsHarness.Token, StringComparison.Ordinal));
    }

    private static string ServiceAccountJson(Uri tokenUri)
    {
        using var rsa = RSA.Create(2048);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "pacer-test",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "sync@pacer-test.iam.gserviceaccount.com",
            ["client_id"] = "1234567890",
            ["token_uri"] = tokenUri.ToString(),
        });
    }

    private static JsonElement JwtPayload(string jwt)
    {
        var part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part))).RootElement;
    }
}
