using System.Security.Cryptography;
using System.Text.Json;
using Pacer.Emulators;

namespace Pacer.Cli.Tests;

/// <summary>
/// <c>GOOGLE_APPLICATION_CREDENTIALS</c>, where Google's tools leave a credential file: taken by <c>pacer sync</c> when
/// nothing else is configured (here as a top-level key of <c>--config</c>: in-process tests share one environment).
/// </summary>
public sealed class ApplicationDefaultCredentialsTests : IAsyncLifetime
{
    private readonly CliRun _cli = new();
    private YouTubeEmulator _youtube = null!;
    private SheetsEmulator _sheets = null!;
    private readonly RSA _serviceAccountKey = RSA.Create(2048);

    public async Task InitializeAsync()
    {
        _youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
        {
            ChannelCount = 3, MaxVideosPerChannel = 80, Seed = 4, BearerTokens = { "only-issued" },
            RefreshTokenScope = "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/spreadsheets",
        });
        _youtube.MyChannelId = _youtube.Channels[1].Id;
        var sheets = new SheetsEmulatorOptions { SpreadsheetIds = { "adc-sheet" } };
        sheets.ServiceAccounts["writer@pacer-test.iam.gserviceaccount.com"] = _serviceAccountKey.ExportSubjectPublicKeyInfoPem();
        _sheets = await SheetsEmulator.StartAsync(sheets);
    }

    public async Task DisposeAsync()
    {
        await _youtube.DisposeAsync();
        await _sheets.DisposeAsync();
        _serviceAccountKey.Dispose();
        _cli.Dispose();
    }

    private async Task<string> ConfigAsync(string credentialFile, object? more = null)
    {
        var settings = new Dictionary<string, object> { ["GOOGLE_APPLICATION_CREDENTIALS"] = credentialFile };
        if (more is not null)
            settings["YouTube"] = more;
        return await _cli.ConfigAsync(JsonSerializer.Serialize(settings), Guid.NewGuid().ToString("N") + ".json");
    }

    /// <summary>A key file of the service account the Sheets emulator knows, writer@pacer-test.iam.gserviceaccount.com.</summary>
    private Task<string> ServiceAccountFileAsync() => FileAsync("service-account.json", new Dictionary<string, string>
    {
        ["type"] = "service_account", ["project_id"] = "pacer-test", ["private_key_id"] = "k1",
        ["private_key"] = _serviceAccountKey.ExportPkcs8PrivateKeyPem(), ["client_email"] = "writer@pacer-test.iam.gserviceaccount.com",
        ["client_id"] = "1", ["token_uri"] = _sheets.TokenEndpoint.AbsoluteUri,
    });

    private async Task<string> FileAsync(string name, object content)
    {
        var path = Path.Combine(_cli.Folder, name);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(content));
        return path;
    }

    private Task<CliResult> SyncAsync(string config, params string[] args) => _cli.RunAsync(
        [.. new[] { "sync", "--config", config, "--api-base", _youtube.BaseAddress.ToString(), "--sheets-base", _sheets.BaseAddress.ToString() }, .. args]);

    [Fact]
    public async Task AUsersCredentialFile_SyncsTheirOwnChannel_IntoASheet_AsThatUser()
    {
        // As `gcloud auth application-default login` or `pacer authorize` leaves it (one token endpoint for both APIs, as Google's).
        var file = await FileAsync("application_default_credentials.json", new Dictionary<string, string>
        {
            ["type"] = "authorized_user", ["client_id"] = "c.apps.googleusercontent.com", ["client_secret"] = "GOCSPX-adc",
            ["refresh_token"] = "1//adc-user", ["token_uri"] = _youtube.TokenEndpoint.AbsoluteUri,
        });

        var result = await SyncAsync(await ConfigAsync(file), "--channels", "mine", "--to", "sheets:adc-sheet/Videos");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(_youtube.Channels[1].VideoCount, _sheets.GetValues("adc-sheet", "Videos").Count - 1);
        Assert.True(_youtube.Counters.TokensIssued >= 1);
        Assert.DoesNotContain("GOCSPX-adc", result.ToString(), StringComparison.Ordinal);
        Assert.Contains("credential: YouTube authorized-user credential from the file " + file, result.Out, StringComparison.Ordinal);
        Assert.Contains("credential: Sheets authorized-user credential from the file " + file, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServiceAccountKeyFile_WritesToSheets_WhileYouTubeUsesItsKey()
    {
        var file = await ServiceAccountFileAsync();

        var result = await SyncAsync(await ConfigAsync(file, new { ApiKey = "test-key" }),
            "--channels", _youtube.Channels[0].Id, "--to", "sheets:adc-sheet/Keyed");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(_youtube.Channels[0].VideoCount, _sheets.GetValues("adc-sheet", "Keyed").Count - 1);
        Assert.Equal(1, _sheets.Counters.TokensIssued); // the assertion was signed with the listed key
        Assert.Equal(0, _youtube.Counters.TokenRequests);
        Assert.DoesNotContain("PRIVATE KEY", result.ToString(), StringComparison.Ordinal);
        // The summary says where each credential came from.
        Assert.Contains("credential: Sheets service account key from the file " + file, result.Out, StringComparison.Ordinal);
        Assert.Contains("credential: YouTube API key from the configuration key YouTube:ApiKey", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASheetNotSharedWithTheServiceAccount_StopsTheSyncAtOnce_NamingTheAddressToShareWith()
    {
        var file = await ServiceAccountFileAsync();
        _sheets.CreateSpreadsheet("not-shared");
        _sheets.ShareSpreadsheet("not-shared", "its-owner@example.com");

        var result = await SyncAsync(await ConfigAsync(file, new { ApiKey = "test-key" }),
            "--channels", _youtube.Channels[0].Id, "--to", "sheets:not-shared/Videos");

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("The caller does not have permission", line, StringComparison.Ordinal);
        Assert.EndsWith("Share the spreadsheet with the service account's e-mail address, writer@pacer-test.iam.gserviceaccount.com, as an editor.)", line, StringComparison.Ordinal);
        Assert.Equal(0, _youtube.Counters.Requests); // the destination is opened before any channel is asked for
    }

    [Theory]
    [InlineData("nowhere/adc.json", null, "which does not exist")]
    [InlineData("garbage.json", "{ not json", "which is not JSON")]
    [InlineData("sa.json", """{"type":"service_account"}""", "a credential of type 'service_account'; YouTube's channel data takes an API key")]
    public async Task AFileThatCannotServe_WhenNothingElseIsConfigured_IsOneLineNamingIt(string name, string? content, string expected)
    {
        var path = Path.Combine(_cli.Folder, name);
        if (content is not null)
            await File.WriteAllTextAsync(path, content);

        var result = await SyncAsync(await ConfigAsync(path), "--channels", _youtube.Channels[0].Id, "--to", Path.Combine(_cli.Folder, "v.csv"));

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains($"GOOGLE_APPLICATION_CREDENTIALS names {path}, {expected}", line, StringComparison.Ordinal);
        Assert.Equal(0, _youtube.Counters.Requests);
    }

    [Fact]
    public async Task AFileThatCannotServe_IsLeftAlone_WhenTheApisHaveTheirCredentials()
    {
        // Set for another tool, say: a sync with its own key into a CSV never reads it, and neither does a worker.
        var missing = Path.Combine(_cli.Folder, "nowhere", "adc.json");
        var csv = Path.Combine(_cli.Folder, "keyed.csv");

        var sync = await SyncAsync(await ConfigAsync(missing, new { ApiKey = "test-key" }), "--channels", _youtube.Channels[0].Id, "--to", csv);
        var worker = await _cli.RunAsync("run", "--config", await ConfigAsync(missing), "--drain");

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(_youtube.Channels[0].VideoCount, (await File.ReadAllLinesAsync(csv)).Length - 1);
        Assert.True(worker.ExitCode == 0, worker.ToString());
    }
}
