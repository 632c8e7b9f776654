using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.Tests.Hosting;

public sealed class FaultInjectionTests
{
    private static YouTubeEmulatorOptions Options(long seed, Action<FaultOptions> faults)
    {
        var options = new YouTubeEmulatorOptions { Seed = seed, ChannelCount = 1, MaxVideosPerChannel = 20 };
        faults(options.Faults);
        return options;
    }

    private static async Task<int[]> CodesAsync(YouTubeEmulator emulator, int count)
    {
        using var http = Http.Client(emulator.BaseAddress);
        var codes = new int[count];
        for (var i = 0; i < count; i++)
            codes[i] = (await http.FetchAsync($"youtube/v3/channels?part=id&id={emulator.Channels[0].Id}&key=k")).Code;
        return codes;
    }

    [Fact]
    public async Task SameSeed_FailsTheSameRequests_AnotherSeedOthers_AndInjectedFailuresCostNoQuota()
    {
        void Faults(FaultOptions f)
        {
            f.ServerErrorRate = 0.2;
            f.RateLimitRate = 0.1;
        }
        await using var first = await YouTubeEmulator.StartAsync(Options(3, Faults));
        await using var second = await YouTubeEmulator.StartAsync(Options(3, Faults));
        await using var other = await YouTubeEmulator.StartAsync(Options(4, Faults));

        var codes = await CodesAsync(first, 80);
        var again = await CodesAsync(second, 80);
        var otherCodes = await CodesAsync(other, 80);

        Assert.Equal(codes, again);
        Assert.NotEqual(codes, otherCodes);
        Assert.Contains(500, codes);
        Assert.Contains(503, codes);
        Assert.Contains(429, codes);
        Assert.Equal(codes.Count(c => c is 500 or 503), first.Counters.InjectedServerErrors);
        Assert.Equal(codes.Count(c => c == 429), first.Counters.InjectedRateLimits);
        Assert.Equal(codes.Count(c => c == 200), first.QuotaUsedToday);
        Assert.Equal(80, first.Counters.Requests);
        Assert.Equal(codes.Count(c => c == 200), first.Counters.Calls(YouTubeMethods.ChannelsList));
    }

    [Fact]
    public async Task InjectedFailures_CarryTheServicesErrorBody()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(Options(1, f => f.RateLimitRate = 1));
        using var http = Http.Client(emulator.BaseAddress);

        var reply = await http.FetchAsync("youtube/v3/channels?part=id&forHandle=@x&key=k");

        Assert.Equal((429, "rateLimitExceeded"), (reply.Code, YouTube.YouTubeListingTests.Reason(reply)));
    }

    [Fact]
    public void Decisions_FollowTheConfiguredRates()
    {
        var options = Options(11, f =>
        {
            f.ServerErrorRate = 0.1;
            f.RateLimitRate = 0.05;
            f.TimeoutRate = 0.02;
            f.SlowBodyRate = 0.3;
        });
        var injector = new FaultInjector(options);

        var decisions = Enumerable.Range(0, 20_000).Select(_ => injector.Next()).ToArray();

        double Share(Func<FaultDecision, bool> which) => decisions.Count(which) / (double)decisions.Length;
        Assert.InRange(Share(d => d.Fault == InjectedFault.ServerError), 0.09, 0.11);
        Assert.InRange(Share(d => d.Fault == InjectedFault.RateLimit), 0.043, 0.057);
        Assert.InRange(Share(d => d.Fault == InjectedFault.Timeout), 0.015, 0.025);
        Assert.InRange(Share(d => d.SlowBody) / Share(d => d.Fault == InjectedFault.None), 0.28, 0.32);
        Assert.DoesNotContain(decisions, d => d.SlowBody && d.Fault != InjectedFault.None);
        Assert.InRange(Share(d => d.StatusCode == 500) / Share(d => d.Fault == InjectedFault.ServerError), 0.45, 0.55);
    }

    [Fact]
    public async Task Timeout_HangsUntilTheClientGivesUp()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(Options(1, f => f.TimeoutRate = 1));
        // Long enough that a fresh emulator on a loaded machine has taken the request (and counted it) before the client
        // gives up: at 300 ms it sometimes had not, in CI-like runs.
        var patience = TimeSpan.FromSeconds(2);
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = patience };

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TaskCanceledException>(() => http.GetAsync("youtube/v3/channels?part=id&forHandle=@x&key=k"));

        Assert.True(clock.Elapsed >= patience * 0.95, clock.Elapsed.ToString());
        Assert.Equal(1, emulator.Counters.InjectedTimeouts);
    }

    [Fact]
    public async Task SlowBody_SendsHeadersAtOnceAndTheWholeBodyLate()
    {
        var duration = TimeSpan.FromSeconds(1);
        await using var emulator = await YouTubeEmulator.StartAsync(Options(1, f =>
        {
            f.SlowBodyRate = 1;
            f.SlowBodyDuration = duration;
        }));
        using var http = Http.Client(emulator.BaseAddress);

        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync($"youtube/v3/playlistItems?part=snippet&playlistId={emulator.Channels[0].UploadsPlaylistId}&maxResults=20&key=k",
            HttpCompletionOption.ResponseHeadersRead);
        var headers = clock.Elapsed;
        var body = await response.Content.ReadAsStringAsync();
        var whole = clock.Elapsed;

        Assert.Equal(200, (int)response.StatusCode);
        // Measured from the headers, not from the request: a fresh emulator on a loaded machine may take a while to
        // answer at all, and that is not what this tests. An answer sent whole would end as its headers come.
        Assert.True(whole - headers >= duration * 0.8, $"headers after {headers}, body after {whole}");
        Assert.Equal(20, System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(1, emulator.Counters.SlowBodies);
    }

    [Fact]
    public async Task Latency_DelaysEveryAnswer()
    {
        var latency = TimeSpan.FromMilliseconds(250);
        var options = Options(1, _ => { });
        options.Latency = latency;
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BaseAddress);

        var clock = Stopwatch.StartNew();
        var reply = await http.FetchAsync("youtube/v3/channels?part=id&forHandle=@x&key=k");

        Assert.Equal(200, reply.Code);
        Assert.True(clock.Elapsed >= latency * 0.95, clock.Elapsed.ToString());
    }

    [Fact]
    public async Task AdminEndpoints_AreNeitherFaultedNorCounted()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(Options(1, f => f.ServerErrorRate = 1));
        using var http = Http.Client(emulator.BaseAddress);

        var counters = await http.FetchAsync("_emulator/counters");

        Assert.Equal(200, counters.Code);
        Assert.Equal(0, counters.Json.GetProperty("requests").GetInt64());
        Assert.Equal(0, emulator.Counters.Requests);
    }

    [Fact]
    public async Task Listens_OnLoopbackOnly_OnAChosenPort()
    {
        await using var emulator = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 0 });

        Assert.Equal("127.0.0.1", emulator.BaseAddress.Host);
        Assert.NotEqual(0, emulator.BaseAddress.Port);
    }

    [Theory]
    [InlineData(0.6, 0.5, 0.0, -1)]
    [InlineData(1.5, 0.0, 0.0, 0)]
    [InlineData(0.0, 0.0, 0.0, 70_000)]
    public async Task InvalidOptions_AreRejectedAtStart(double serverErrors, double rateLimits, double timeouts, int port)
    {
        var options = new YouTubeEmulatorOptions { Port = port < 0 ? 0 : port };
        options.Faults.ServerErrorRate = serverErrors;
        options.Faults.RateLimitRate = rateLimits;
        options.Faults.TimeoutRate = timeouts;

        var error = await Assert.ThrowsAsync<ValidationException>(() => YouTubeEmulator.StartAsync(options));

        Assert.StartsWith("Invalid YouTubeEmulatorOptions:", error.Message, StringComparison.Ordinal);
    }
}
