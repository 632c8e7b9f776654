using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators;
using Pacer.Testing;

namespace Pacer.YouTube.Tests;

/// <summary>
/// An OAuth client and a user's refresh token: access tokens asked of the credential's token endpoint (the emulator's),
/// refreshed before they expire by the injected clock, once more after a 401, and a revoked grant as a clear permanent error.
/// </summary>
public sealed class AuthorizedUserTests
{
    private const string ClientSecret = "GOCSPX-client-secret-never-logged";
    private const string RefreshToken = "1//refresh-token-never-logged";

    private static string Credential(Uri tokenEndpoint, string refreshToken = RefreshToken) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "authorized_user",
        ["client_id"] = "1234-pacer.apps.googleusercontent.com",
        ["client_secret"] = ClientSecret,
        ["refresh_token"] = refreshToken,
        ["token_uri"] = tokenEndpoint.AbsoluteUri,
    });

    /// <summary>The client on an authorized-user credential in configuration, against an emulator that takes only the tokens it issues.</summary>
    private static async Task<YouTubeHarness> StartAsync(FakeTimeProvider? time = null, Action<YouTubeEmulatorOptions>? emulator = null)
    {
        var options = new YouTubeEmulatorOptions
        {
            Seed = 11, ChannelCount = 4, MinVideosPerChannel = 20, MaxVideosPerChannel = 60, AccessTokenLifetime = TimeSpan.FromHours(1),
        };
        options.RefreshTokens.Add(RefreshToken);
        options.BearerTokens.Add("only-issued-tokens-pass"); // no other token passes
        if (time is not null)
            options.TimeProvider = time;
        emulator?.Invoke(options);
        var started = await YouTubeEmulator.StartAsync(options);
        return await YouTubeHarness.StartAsync(
            started.BaseAddress,
            o => o.CredentialKind = YouTubeCredentialKind.AuthorizedUser,
            configuration: new Dictionary<string, string?> { ["YouTube:AuthorizedUser"] = Credential(started.TokenEndpoint) },
            emulator: started,
            time: time);
    }

    [Fact]
    public async Task AccessToken_IsAskedOnceForCallsTogether_UsedWhileValid_AndRenewedBeforeACallOnceExpired()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(time);
        var channels = harness.Emulator.Channels.Select(c => c.Id).ToArray();

        await Task.WhenAll(channels.Select(id => harness.Client.GetChannelsAsync([id])));
        Assert.Equal(1, harness.Emulator.Counters.TokenRequests);

        time.Advance(TimeSpan.FromMinutes(50));
        Assert.Single((await harness.Client.GetChannelsAsync([channels[0]])).Found);
        Assert.Equal(1, harness.Emulator.Counters.TokenRequests); // ten minutes left: still used

        // Past its end: a new one before the call. (Minutes before the end, Google.Apis.Auth asks for one in the
        // background while the old one still serves; a test cannot move the clock while that answer is in flight.)
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Single((await harness.Client.GetChannelsAsync([channels[1]])).Found);
        Assert.Equal(2, harness.Emulator.Counters.TokenRequests);

        time.Advance(TimeSpan.FromHours(3));
        Assert.Single((await harness.Client.GetChannelsAsync([channels[2]])).Found);
        Assert.Equal(3, harness.Emulator.Counters.TokenRequests);

        // Never a refused call along the way, and no secret of the credential or token in any log line.
        Assert.Equal(channels.Length + 3, harness.Emulator.Counters.Requests);
        Assert.Equal(channels.Length + 3, harness.Emulator.QuotaUsedToday);
        // Answers cached under the first token are revalidated under the next ones: the cache keys on the user, not the token.
        Assert.Equal(3, harness.Emulator.Counters.NotModified);
        var logs = string.Join("\n", harness.Logs.Lines);
        Assert.DoesNotContain(ClientSecret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(RefreshToken, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("ya29.", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MyChannel_IsTheChannelOfTheCredentialsUser_OrNone()
    {
        await using var harness = await StartAsync();
        Assert.Null(await harness.Client.GetMyChannelAsync());

        harness.Emulator.MyChannelId = harness.Emulator.Channels[2].Id;
        var mine = await harness.Client.GetMyChannelAsync();

        Assert.Equal(harness.Emulator.Channels[2].Id, mine?.Id);
        Assert.Equal(harness.Emulator.Channels[2].UploadsPlaylistId, mine?.UploadsPlaylistId);
    }

    [Fact]
    public async Task MyChannel_WithAnApiKey_IsRefusedBeforeAnythingIsSent()
    {
        await using var harness = await YouTubeHarness.StartAsync();

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetMyChannelAsync());

        Assert.False(error.CredentialRefused);
        Assert.Contains("an API key has no user", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, harness.Emulator.Counters.Requests);
    }

    [Fact]
    public async Task TokenRefusedBeforeItsEnd_IsRefreshedOnce_AndTheCallGoesThrough()
    {
        await using var harness = await StartAsync();
        var channel = harness.Emulator.Channels[0].Id;
        await harness.Client.GetChannelsAsync([channel]);

        harness.Emulator.RevokeAccessTokens();
        Assert.Single((await harness.Client.GetChannelsAsync([channel])).Found);

        Assert.Equal(2, harness.Emulator.Counters.TokenRequests);
        Assert.Equal(3, harness.Emulator.Counters.Requests); // the refused call, then the same call with the new token
    }

    [Fact]
    public async Task RevokedGrant_IsAPermanentError_NamingWhereTheCredentialCameFrom_WithoutItsSecrets()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync(time);
        var channel = harness.Emulator.Channels[0].Id;
        await harness.Client.GetChannelsAsync([channel]);

        harness.Emulator.RevokeRefreshToken(RefreshToken); // the user removed the app's access
        time.Advance(TimeSpan.FromHours(1));
        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelsAsync([channel]));

        Assert.True(error.CredentialRefused);
        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Equal("invalid_grant", error.Reason);
        Assert.Contains("read from the configuration key YouTube:AuthorizedUser", error.Message, StringComparison.Ordinal);
        Assert.Contains("Token has been expired or revoked.", error.Message, StringComparison.Ordinal);
        Assert.Contains("authorize again", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(RefreshToken, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Emulator.Counters.Requests); // nothing sent with a token that could not be renewed
    }

    [Fact]
    public async Task GrantWithoutAYouTubeScope_IsAPermanentError_SayingHowToAuthorizeAgain()
    {
        // A user who authorized the app for Sheets only: Google answers 403 insufficientPermissions, not 401.
        await using var harness = await StartAsync(emulator: e => e.RefreshTokenScope = "https://www.googleapis.com/auth/spreadsheets");

        var error = await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id]));

        Assert.True(error.CredentialRefused);
        Assert.IsAssignableFrom<PermanentJobException>(error);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Contains("read from the configuration key YouTube:AuthorizedUser: its user did not grant it a YouTube scope", error.Message, StringComparison.Ordinal);
        Assert.Contains("pacer authorize --client-secret FILE --scope youtube.readonly", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Emulator.Counters.Requests); // not retried, not renewed
        Assert.Equal(1, harness.Emulator.Counters.TokenRequests);
        Assert.Equal(0, harness.Emulator.QuotaUsedToday);
    }

    [Fact]
    public async Task TokenEndpointServerError_IsRetriedLikeAServerErrorOfTheApi()
    {
        var answered = 0;
        await using var tokens = await TestServer.StartAsync((context, _) => Interlocked.Increment(ref answered) == 1
            ? TestServer.AnswerAsync(context, 503, """{"error":"internal_failure","error_description":"Backend Error"}""")
            : TestServer.AnswerAsync(context, 200, """{"access_token":"ya29.from-the-second-try","expires_in":3599,"token_type":"Bearer"}"""));
        await using var harness = await YouTubeHarness.StartAsync(
            e => e.BearerTokens.Add("ya29.from-the-second-try"),
            o => o.CredentialKind = YouTubeCredentialKind.AuthorizedUser,
            configuration: new Dictionary<string, string?> { ["YouTube:AuthorizedUser"] = Credential(new Uri(tokens.BaseAddress, "token")) });

        Assert.Single((await harness.Client.GetChannelsAsync([harness.Emulator.Channels[0].Id])).Found);

        Assert.Equal(2, tokens.Requests.Count);
        Assert.Equal(1, harness.Emulator.Counters.Requests);
        var retry = Assert.Single(harness.Logs.Lines, l => l.Contains("failed (HTTP 503); attempt 2 of", StringComparison.Ordinal));
        Assert.StartsWith("Warning Pacer.YouTube", retry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CredentialInAFile_IsReadAgainWhenWritten_AndAHalfWrittenOneLeavesTheOneBefore()
    {
        using var directory = new TempDirectory();
        var file = directory.File("authorized_user.json");
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { Seed = 3, ChannelCount = 2, MaxVideosPerChannel = 40, RefreshTokens = { "1//second" } });
        await File.WriteAllTextAsync(file, Credential(emulator.TokenEndpoint, "1//first"));
        await using var harness = await YouTubeHarness.StartAsync(
            emulator.BaseAddress,
            o => { o.CredentialKind = YouTubeCredentialKind.AuthorizedUser; o.CredentialFile = file; },
            configuration: new Dictionary<string, string?>());
        var channel = emulator.Channels[0].Id;
        Assert.True((await Assert.ThrowsAsync<YouTubeRequestException>(() => harness.Client.GetChannelsAsync([channel]))).CredentialRefused);

        await File.WriteAllTextAsync(file, Credential(emulator.TokenEndpoint, "1//second"));
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(2));
        Assert.Single((await harness.Client.GetChannelsAsync([channel])).Found);

        await File.WriteAllTextAsync(file, """{"type":"authorized_user","client_id":"x","client_se""");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(4));
        Assert.Single((await harness.Client.GetChannelsAsync([channel])).Found);
        Assert.Single((await harness.Client.GetChannelsAsync([emulator.Channels[1].Id])).Found);
        var error = Assert.Single(harness.Logs.Lines, l => l.StartsWith("Error Pacer.YouTube", StringComparison.Ordinal));
        Assert.Contains($"read from the file {file} cannot be used: it is not JSON", error, StringComparison.Ordinal);
        Assert.Equal((2L, 1L), (emulator.Counters.TokenRequests, emulator.Counters.TokensIssued)); // the refused grant, then the new one
    }

    [Theory]
    [InlineData("""{"type":"authorized_user","client_id":"c","client_secret":"GOCSPX-secret-value"}""", "it has no refresh_token")]
    [InlineData("""{"type":"service_account","client_email":"a@b","private_key":"GOCSPX-secret-value"}""", "its \"type\" is \"service_account\", not \"authorized_user\"")]
    [InlineData("""GOCSPX-secret-value""", "it is not JSON")]
    [InlineData("""{"client_id":"c","client_secret":"GOCSPX-secret-value","refresh_token":"r","token_uri":"ftp://x/token"}""", "its \"token_uri\" is not an absolute http or https URL")]
    public async Task UnusableCredential_StopsTheHostAtStart_SayingWhatIsWrong_WithoutQuotingIt(string json, string problem)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["YouTube:AuthorizedUser"] = json });
        builder.Services.AddYouTube(o => o.CredentialKind = YouTubeCredentialKind.AuthorizedUser);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("The YouTube authorized-user credential read from the configuration key YouTube:AuthorizedUser cannot be used: " + problem,
            error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("GOCSPX-secret-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultPlaces_AreTheDocumentedOnes()
    {
        var options = new YouTubeOptions { CredentialKind = YouTubeCredentialKind.AuthorizedUser };
        Assert.Equal("YouTube:AuthorizedUser", options.ConfigurationKeyOrDefault);
        Assert.Equal("PACER_YOUTUBE_AUTHORIZED_USER", options.EnvironmentVariableOrDefault);
    }
}
