using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pacer.Testing;

namespace Pacer.YouTube.Tests;

/// <summary>Where the credential comes from, what happens without one, and that it never shows in logs or messages.</summary>
public sealed class CredentialTests
{
    [Fact]
    public async Task MissingCredential_StopsTheHostAtStart_NamingEveryPlaceToSetIt()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddYouTube(o => o.CredentialEnvironmentVariable = "PACER_TEST_UNSET_" + Guid.NewGuid().ToString("N"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("No YouTube API key found", error.Message, StringComparison.Ordinal);
        Assert.Contains("the configuration key YouTube:ApiKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet user-secrets set", error.Message, StringComparison.Ordinal);
        Assert.Contains("the environment variable PACER_TEST_UNSET_", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCredential_WithoutAHost_FailsOnFirstUseWithTheSameMessage()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPacer();
        services.AddYouTube(o => { o.CredentialEnvironmentVariable = "PACER_TEST_UNSET_" + Guid.NewGuid().ToString("N"); o.CredentialFile = "/nonexistent/youtube-key.txt"; });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IYouTubeClient>());

        Assert.Contains("the file /nonexistent/youtube-key.txt (it does not exist)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credential_FromAnEnvironmentVariable_IsUsed()
    {
        var variable = "PACER_TEST_YOUTUBE_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, YouTubeHarness.ApiKey);
        try
        {
            await using var harness = await YouTubeHarness.StartAsync(client: o => o.CredentialEnvironmentVariable = variable,
                configuration: new Dictionary<string, string?>());

            var found = await harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]);

            Assert.Single(found.Found);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Credential_FromAFile_IsUsed()
    {
        using var directory = new TempDirectory();
        var file = directory.File("youtube.key");
        await File.WriteAllTextAsync(file, YouTubeHarness.ApiKey + "\n");
        await using var harness = await YouTubeHarness.StartAsync(client: o => o.CredentialFile = file, configuration: new Dictionary<string, string?>());

        var found = await harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]);

        Assert.Single(found.Found);
        // Which of the places won is said once, never the value.
        var line = Assert.Single(harness.Logs.Lines, l => l.Contains("Calls send the", StringComparison.Ordinal));
        Assert.Contains($"read from the file {file}", line, StringComparison.Ordinal);
        Assert.DoesNotContain(YouTubeHarness.ApiKey, string.Join("\n", harness.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessToken_IsSentAsBearer_NotInTheQuery()
    {
        const string token = "ya29.test-access-token";
        await using var harness = await YouTubeHarness.StartAsync(
            e => e.BearerTokens.Add(token),
            o => o.CredentialKind = YouTubeCredentialKind.AccessToken,
            configuration: new Dictionary<string, string?> { ["YouTube:AccessToken"] = token });

        var found = await harness.Client.GetChannelByHandleAsync(harness.Emulator.Channels[0].Handle);

        Assert.Equal(harness.Emulator.Channels[0].Id, found?.Id);
    }

    [Fact]
    public async Task WrongKey_IsAPermanentError_NamingWhereItCameFrom_WithoutTheKey()
    {
        const string wrong = "AIzaSyWRONG-wrong-wrong-key-0000000000";
        await using var harness = await YouTubeHarness.StartAsync(configuration: new Dictionary<string, string?> { ["YouTube:ApiKey"] = wrong });

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]));

        Assert.True(error.CredentialRefused);
        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Contains("API key read from the configuration key YouTube:ApiKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("API key not valid", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task AccessTokenInAFile_IsReadAgainWhenTheFileIsWritten()
    {
        // An access token lives an hour; another tool writes the new one into the file a running worker reads.
        using var directory = new TempDirectory();
        var file = directory.File("youtube.token");
        await File.WriteAllTextAsync(file, "ya29.expired");
        await using var harness = await YouTubeHarness.StartAsync(
            e => e.BearerTokens.Add("ya29.fresh"),
            o =>
            {
                o.CredentialKind = YouTubeCredentialKind.AccessToken;
                o.CredentialFile = file;
            },
            configuration: new Dictionary<string, string?>());
        var channel = harness.Emulator.Channels[0].Id;
        Assert.True((await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelsAsync([channel]))).CredentialRefused);

        await File.WriteAllTextAsync(file, "ya29.fresh\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(2)); // a new time stamp even on a coarse file system clock

        Assert.Single((await harness.Client.GetChannelsAsync([channel])).Found);
        var line = Assert.Single(harness.Logs.Lines, l => l.Contains("changed; calls now send", StringComparison.Ordinal));
        Assert.Contains($"the one read from the file {file}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ya29.", string.Join("\n", harness.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyInConfiguration_IsReadAgainWhenTheConfigurationReloads_AndKeptWhenItGoesMissing()
    {
        await using var harness = await YouTubeHarness.StartAsync(configuration: new Dictionary<string, string?> { ["YouTube:ApiKey"] = "AIzaSyOLD-revoked-key-000000000000000" });
        var configuration = (Microsoft.Extensions.Configuration.IConfigurationRoot)harness.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        var channel = harness.Emulator.Channels[0].Id;
        await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelsAsync([channel]));

        configuration["YouTube:ApiKey"] = YouTubeHarness.ApiKey;
        configuration.Reload();
        Assert.Single((await harness.Client.GetChannelsAsync([channel])).Found);

        // Taken out of the configuration (a deploy replacing the file, say): the key in use stays, and that is said once.
        configuration["YouTube:ApiKey"] = null;
        configuration.Reload();
        Assert.Single((await harness.Client.GetChannelsAsync([channel])).Found);
        Assert.Single((await harness.Client.GetChannelsAsync([harness.Emulator.Channels[1].Id])).Found);
        var warning = Assert.Single(harness.Logs.Lines, l => l.Contains("no longer found", StringComparison.Ordinal));
        Assert.Contains("keep sending the one read from the configuration key YouTube:ApiKey", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongToken_IsAPermanentError()
    {
        await using var harness = await YouTubeHarness.StartAsync(
            e => e.BearerTokens.Add("the-right-token"),
            o => o.CredentialKind = YouTubeCredentialKind.AccessToken,
            configuration: new Dictionary<string, string?> { ["YouTube:AccessToken"] = "a-wrong-token" });

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelByUsernameAsync("someone"));

        Assert.True(error.CredentialRefused);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.DoesNotContain("a-wrong-token", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKey_NeverAppearsInLogsOrExceptions_WhateverHappens()
    {
        var seen = new List<Exception>();
        await using (var harness = await YouTubeHarness.StartAsync(e => { e.Seed = 9; e.Faults.ServerErrorRate = 0.3; e.Quota.DailyBudget = 25; }))
        {
            var channel = harness.Emulator.Channels[0];
            await Record(seen, () => harness.Client.GetChannelsAsync([channel.Id, "UCnobodynobodynobodynob"]));
            await Record(seen, () => harness.Client.GetChannelsAsync([channel.Id]));
            await Record(seen, () => harness.Client.GetPlaylistPageAsync(channel.UploadsPlaylistId, "bad-token"));
            await Record(seen, () => harness.Client.GetPlaylistPageAsync("UUnosuchplaylistnosuchpl"));
            for (var i = 0; i < 30; i++)
                await Record(seen, () => harness.Client.GetVideosAsync(harness.Emulator.GetUploads(channel.Id).Skip(i).Take(2)));
            Assert.Contains(seen, e => e is ResourceUnavailableException); // the quota ran out on the way
            Assert.Contains(seen, e => e is YouTubeRequestException);
            AssertNoKey(harness.Logs.Lines, seen, YouTubeHarness.ApiKey);
        }

        const string wrong = "AIzaSyWRONG-wrong-wrong-key-1111111111";
        await using var refused = await YouTubeHarness.StartAsync(configuration: new Dictionary<string, string?> { ["YouTube:ApiKey"] = wrong });
        await Record(seen, () => refused.Client.GetChannelsAsync([refused.Emulator.Channels[0].Id]));
        AssertNoKey(refused.Logs.Lines, seen, wrong);
    }

    private static void AssertNoKey(IReadOnlyList<string> lines, List<Exception> errors, string key)
    {
        Assert.NotEmpty(lines);
        Assert.DoesNotContain(lines, l => l.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(Uri.EscapeDataString(key), StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.ToString().Contains(key, StringComparison.Ordinal));
    }

    private static async Task Record(List<Exception> errors, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception e) when (e is YouTubeRequestException or ResourceUnavailableException or HttpRequestException or TimeoutException)
        {
            errors.Add(e);
        }
    }
}
