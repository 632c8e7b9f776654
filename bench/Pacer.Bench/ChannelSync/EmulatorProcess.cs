using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Pacer.Emulators;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// The YouTube emulator in a process of its own, so its memory and threads are not billed to the sync being measured.
/// Driven through its admin endpoints: counters (the ground truth for calls, 304s and units), channels, new uploads.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private const string ListeningPrefix = "listening ";

    /// <summary>Units a day for the emulator's quota: far above what any case spends, so none is ever refused.</summary>
    public const long DailyBudget = 100_000_000;

    private readonly Process _process;
    private readonly HttpClient _admin;

    private EmulatorProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        _admin = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    /// <summary>CPU time the emulator process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<EmulatorProcess> StartAsync(int channels, int latencyMs, long seed, CancellationToken cancellationToken)
    {
        var process = Process.Start(ChildProcess.StartInfo(
        [
            "emulator",
            "--channels", channels.ToString(CultureInfo.InvariantCulture),
            "--latency", latencyMs.ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture),
        ])) ?? throw new InvalidOperationException("The emulator process did not start.");
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith(ListeningPrefix, StringComparison.Ordinal))
                    return new EmulatorProcess(process, new Uri(line[ListeningPrefix.Length..]));
            }
            throw new InvalidOperationException($"The emulator process ended (exit code {(process.HasExited ? process.ExitCode : -1)}) before it listened.");
        }
        catch (Exception)
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The child side: serves until the parent closes standard input.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        int channels = 32, latency = 150;
        long seed = 1;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--channels": channels = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--latency": latency = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown emulator option '{args[i]}'.");
            }
        }
        var options = channels == YouTubeEmulatorOptions.BenchmarkChannelCount ? YouTubeEmulatorOptions.Benchmark() : new YouTubeEmulatorOptions { ChannelCount = channels };
        options.Seed = seed;
        options.Latency = TimeSpan.FromMilliseconds(latency);
        options.Quota.DailyBudget = DailyBudget;
        await using var emulator = await YouTubeEmulator.StartAsync(options);
        Console.WriteLine(ListeningPrefix + emulator.BaseAddress);
        // The parent closes our standard input when it is done (or dies): that is the signal to stop.
        await Console.In.ReadToEndAsync();
        return 0;
    }

    public async Task<IReadOnlyList<YouTubeChannelInfo>> ChannelsAsync(CancellationToken cancellationToken) =>
        await _admin.GetFromJsonAsync<YouTubeChannelInfo[]>("_emulator/channels", JsonSerializerOptions.Web, cancellationToken)
            ?? throw new InvalidOperationException("The emulator listed no channels.");

    public async Task<EmulatorCounts> CountersAsync(CancellationToken cancellationToken) =>
        await _admin.GetFromJsonAsync<EmulatorCounts>("_emulator/counters", JsonSerializerOptions.Web, cancellationToken)
            ?? throw new InvalidOperationException("The emulator returned no counters.");

    /// <summary>
    /// Serves a few rounds of the calls a sync makes (a channel list, first and second pages, video lookups), as many at
    /// once as a sync makes them, before anything is measured. The emulator stands for Google's servers, which are warm: a
    /// fresh process compiles its request path on its first calls, which the first side measured would wait for. (At 32
    /// channels this took the emulator's CPU in Pacer's first run from 0.9 to 0.6 s and its slowest answers from 260 to
    /// 230 ms, without moving the sync's median.) The counters are read after this, so these calls are billed to no side.
    /// </summary>
    public async Task WarmUpAsync(IReadOnlyList<YouTubeChannelInfo> channels, CancellationToken cancellationToken)
    {
        const int Rounds = 3;
        var sample = channels.Take(32).ToArray();
        using var http = new HttpClient { BaseAddress = BaseAddress };
        for (var round = 0; round < Rounds; round++)
        {
            using var list = await http.GetAsync("youtube/v3/channels?part=snippet,contentDetails&key=warm-up&id=" +
                string.Join(',', sample.Select(c => c.Id)), cancellationToken);
            list.EnsureSuccessStatusCode();
            await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = sample.Length, CancellationToken = cancellationToken },
                async (channel, ct) =>
                {
                    var page = await http.GetFromJsonAsync<JsonElement>(
                        $"youtube/v3/playlistItems?part=snippet,contentDetails&maxResults=50&key=warm-up&playlistId={channel.UploadsPlaylistId}", ct);
                    var ids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("contentDetails").GetProperty("videoId").GetString());
                    using var videos = await http.GetAsync("youtube/v3/videos?part=snippet,statistics,contentDetails&key=warm-up&id=" + string.Join(',', ids), ct);
                    videos.EnsureSuccessStatusCode();
                    if (page.TryGetProperty("nextPageToken", out var next))
                    {
                        using var second = await http.GetAsync(
                            $"youtube/v3/playlistItems?part=snippet,contentDetails&maxResults=50&key=warm-up&playlistId={channel.UploadsPlaylistId}&pageToken={next.GetString()}", ct);
                        second.EnsureSuccessStatusCode();
                    }
                });
        }
    }

    /// <summary>New uploads on round(share x channels) channels chosen by the seed; returns those channels.</summary>
    public async Task<IReadOnlyList<string>> AddUploadsAsync(double channelShare, int videosPerChannel, CancellationToken cancellationToken)
    {
        var share = channelShare.ToString(CultureInfo.InvariantCulture);
        using var response = await _admin.PostAsync($"_emulator/uploads?channelShare={share}&count={videosPerChannel}", null, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<UploadsAnswer>(JsonSerializerOptions.Web, cancellationToken);
        return body?.Channels ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    private sealed record UploadsAnswer(string[] Channels);
}

/// <summary>The emulator's counters since it started (<c>GET /_emulator/counters</c>).</summary>
internal sealed record EmulatorCounts(
    long Requests,
    long InjectedServerErrors,
    long InjectedRateLimits,
    long InjectedTimeouts,
    long UnitsSpent,
    long NotModified,
    long QuotaExceeded,
    Dictionary<string, long> Calls)
{
    public static EmulatorCounts Zero { get; } = new(0, 0, 0, 0, 0, 0, 0, []);

    public long CallsOf(string method) => Calls.GetValueOrDefault(method);

    /// <summary>What happened between two readings.</summary>
    public EmulatorCounts Minus(EmulatorCounts before) => new(
        Requests - before.Requests,
        InjectedServerErrors - before.InjectedServerErrors,
        InjectedRateLimits - before.InjectedRateLimits,
        InjectedTimeouts - before.InjectedTimeouts,
        UnitsSpent - before.UnitsSpent,
        NotModified - before.NotModified,
        QuotaExceeded - before.QuotaExceeded,
        Calls.ToDictionary(c => c.Key, c => c.Value - before.CallsOf(c.Key), StringComparer.Ordinal));
}
