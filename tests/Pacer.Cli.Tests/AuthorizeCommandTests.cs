using System.Text.Json;
using System.Text.RegularExpressions;
using Pacer.Emulators;

namespace Pacer.Cli.Tests;

/// <summary><c>pacer authorize</c> against the YouTube emulator's consent page and token endpoint, the test as the browser.</summary>
public sealed partial class AuthorizeCommandTests : IAsyncLifetime
{
    private readonly CliRun _cli = new();
    private YouTubeEmulator _youtube = null!;
    private string _clientFile = null!;

    public async Task InitializeAsync()
    {
        _youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2, MaxVideosPerChannel = 60, Seed = 5, BearerTokens = { "only-issued" } });
        _clientFile = Path.Combine(_cli.Folder, "client_secret.json");
        // As the Google Cloud console writes a desktop client's file, with the emulator's addresses.
        await File.WriteAllTextAsync(_clientFile, $$"""
            {"installed": {"client_id": "1234-desktop.apps.googleusercontent.com", "project_id": "pacer-test",
              "auth_uri": "{{_youtube.AuthorizationEndpoint}}", "token_uri": "{{_youtube.TokenEndpoint}}",
              "client_secret": "GOCSPX-desktop-secret", "redirect_uris": ["http://localhost"] } }
            """);
    }

    public async Task DisposeAsync()
    {
        await _youtube.DisposeAsync();
        _cli.Dispose();
    }

    /// <summary>Runs <c>pacer authorize</c>, opens the address it prints as a browser would (following the redirect to its loopback), and returns its result and the page the browser ended on.</summary>
    private async Task<(CliResult Result, string Page)> AuthorizeAsync(params string[] extra)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (run, output) = _cli.Start(stop.Token, ["authorize", "--client-secret", _clientFile, "--scope", "youtube.readonly,spreadsheets", .. extra]);
        Match address;
        while (!(address = ConsentAddress().Match(output())).Success && !run.IsCompleted)
            await Task.Delay(20, stop.Token);
        if (!address.Success)
            return (await run, "");
        using var browser = new HttpClient();
        using var page = await browser.GetAsync(new Uri(address.Value), stop.Token);
        return (await run, await page.Content.ReadAsStringAsync(stop.Token));
    }

    [Fact]
    public async Task Authorize_SavesACredentialReadableByItsOwnerOnly_ThatASyncThenUses()
    {
        var saved = Path.Combine(_cli.Folder, "me.json");

        var (result, page) = await AuthorizeAsync("--out", saved);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("You can close this page", page, StringComparison.Ordinal);
        Assert.Contains("scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fyoutube.readonly", result.Out, StringComparison.Ordinal);
        Assert.Contains("code_challenge_method=S256", result.Out, StringComparison.Ordinal);
        Assert.Contains($"Saved the credential to {saved}", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("1//", result.ToString(), StringComparison.Ordinal); // the refresh token is in the file only
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(saved));
        var json = JsonDocument.Parse(await File.ReadAllTextAsync(saved)).RootElement;
        Assert.Equal("authorized_user", json.GetProperty("type").GetString());
        Assert.Equal("GOCSPX-desktop-secret", json.GetProperty("client_secret").GetString());
        Assert.Equal(_youtube.TokenEndpoint.AbsoluteUri, json.GetProperty("token_uri").GetString());

        // The saved credential is what a sync takes (here as text in the configuration, as the environment variable holds
        // it), for the user's own channel.
        _youtube.MyChannelId = _youtube.Channels[0].Id;
        var config = await _cli.ConfigAsync(JsonSerializer.Serialize(new { YouTube = new { AuthorizedUser = await File.ReadAllTextAsync(saved) } }), "oauth.json");
        var csv = Path.Combine(_cli.Folder, "mine.csv");
        var sync = await _cli.RunAsync("sync", "--config", config, "--api-base", _youtube.BaseAddress.ToString(), "--channels", "mine", "--to", csv);
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(_youtube.Channels[0].VideoCount, (await File.ReadAllLinesAsync(csv)).Length - 1);
        Assert.Equal(2, _youtube.Counters.TokensIssued); // one with the refresh token at the consent, one for the sync
    }

    [Fact]
    public async Task Authorize_Refused_ExitsOneWithOneLine_AndSavesNothing()
    {
        _youtube.RefuseConsent = true;
        var saved = Path.Combine(_cli.Folder, "me.json");

        var (result, page) = await AuthorizeAsync("--out", saved);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("was not given access", page, StringComparison.Ordinal);
        Assert.Equal("error: The user did not allow access (access_denied); nothing was saved.", Assert.Single(result.ErrorLines));
        Assert.False(File.Exists(saved));
    }

    [Fact]
    public async Task Authorize_AScopeTheUserUnticked_IsSaidAfterSaving_AndTheCredentialLacksIt()
    {
        _youtube.GrantOnly = new HashSet<string> { "https://www.googleapis.com/auth/youtube.readonly" };
        var saved = Path.Combine(_cli.Folder, "partial.json");

        var (result, _) = await AuthorizeAsync("--out", saved);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(saved));
        Assert.Equal("warning: the user did not allow spreadsheets: calls that need it will be refused. To add it, run 'pacer authorize' again and leave every box ticked.",
            Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Authorize_NoAnswerInTime_SaysSo()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (run, _) = _cli.Start(stop.Token, "authorize", "--client-secret", _clientFile, "--scope", "youtube.readonly", "--timeout", "1");

        var result = await run;

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("No answer from the browser within 1 s", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "", ["--client-secret", "missing.json", "--scope", "youtube.readonly"], "--client-secret missing.json: no such file" },
        { """{"type":"service_account"}""", ["--scope", "youtube.readonly"], "is not an OAuth client's JSON" },
        { """{"installed":{"client_id":"c","client_secret":"s"}}""", ["--scope", "not a scope"], "--scope https://www.googleapis.com/auth/not a scope is not a scope" },
        { """{"installed":{"client_id":"c","client_secret":"s"}}""", ["--scope", "youtube", "--out", "/no/such/folder/x.json"], "--out /no/such/folder/x.json: the folder /no/such/folder does not exist" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Authorize_BadInput_OneLineExit2(string clientFile, string[] args, string expected)
    {
        var file = Path.Combine(_cli.Folder, "client.json");
        if (clientFile.Length > 0)
            await File.WriteAllTextAsync(file, clientFile);

        var result = await _cli.RunAsync(["authorize", .. clientFile.Length > 0 ? new[] { "--client-secret", file } : [], .. args]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0, _youtube.Counters.TokenRequests);
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/o/oauth2/auth\?\S+")]
    private static partial Regex ConsentAddress();
}
