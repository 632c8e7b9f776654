using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Pacer.Storage;

namespace Pacer.ChannelSync.Tests;

/// <summary>
/// The recipe in a real engine on a SQLite file, calling a local YouTube (and Sheets) through the real clients. With a
/// fake clock the engine moves only when the test advances it; the emulators share that clock (quota resets, limits).
/// </summary>
internal sealed class SyncHarness : IAsyncDisposable
{
    private SyncHarness(IHost host, string directory, FakeTimeProvider? time)
    {
        Host = host;
        Directory = directory;
        Time = time;
    }

    public IHost Host { get; }
    public string Directory { get; }
    public FakeTimeProvider? Time { get; }
    public IPacerClient Client => Host.Services.GetRequiredService<IPacerClient>();
    public IJobStore Store => Host.Services.GetRequiredService<IJobStore>();

    /// <param name="store">The store; default a SQLite file in the harness's directory.</param>
    /// <param name="channelSync">The recipe's options (its machine's name, say).</param>
    public static async Task<SyncHarness> StartAsync(Uri youtube, FakeTimeProvider? time = null, Uri? sheets = null, Action<PacerOptions>? options = null,
        Action<Pacer.YouTube.YouTubeOptions>? youtubeOptions = null, Action<Pacer.Sheets.SheetsOptions>? sheetsOptions = null,
        Action<PacerBuilder>? store = null, Action<ChannelSyncOptions>? channelSync = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "pacer-sync-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["YouTube:ApiKey"] = "test-key";
        builder.Configuration["Sheets:AccessToken"] = "test-token";
        if (time is not null)
            builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddYouTube(o =>
        {
            o.BaseAddress = youtube;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
            youtubeOptions?.Invoke(o);
        });
        if (sheets is not null)
        {
            builder.Services.AddSheets(o =>
            {
                o.BaseAddress = sheets;
                o.CredentialKind = Pacer.Sheets.SheetsCredentialKind.AccessToken;
                sheetsOptions?.Invoke(o);
            });
        }
        builder.Services.AddPacer(p =>
        {
            if (store is null)
                p.UseSqlite(Path.Combine(directory, "pacer.db"));
            else
                store(p);
            p.AddChannelSync(channelSync);
        }).Configure(o =>
        {
            o.Concurrency = 16;
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
            o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) };
            options?.Invoke(o);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new SyncHarness(host, directory, time);
    }

    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>Starts a run and returns its name.</summary>
    public Task<string> StartRunAsync(IEnumerable<string> channels, params string[] destinations) =>
        StartRunAsync(Guid.NewGuid().ToString("N")[..8], channels, destinations);

    /// <summary>Starts a run of the given name (whose records a test prepared) and returns the name.</summary>
    public async Task<string> StartRunAsync(string run, IEnumerable<string> channels, params string[] destinations)
    {
        await Client.EnqueueAsync(ChannelSyncKinds.Run, JsonSerializer.Serialize(new ChannelSyncArgs { Channels = [.. channels], Destinations = destinations, Run = run },
            JsonSerializerOptions.Web), new EnqueueOptions { Tags = [SyncKeys.Tag(run)] });
        return run;
    }

    /// <summary>Waits (moving the fake clock, if any, by <paramref name="step"/>) until the run's summary is recorded.</summary>
    public async Task<SyncSummary> WaitAsync(string run, TimeSpan? step = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await Store.GetEffectAsync(SyncKeys.Summary(run), CancellationToken.None) is { ResultJson: { } json })
                return JsonSerializer.Deserialize<SyncSummary>(json, JsonSerializerOptions.Web)!;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Sync run {run} did not finish in time.");
            if (Time is not null)
                Time.Advance(step ?? TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Waits for a run on the fake clock the way time passes for a real one: it creeps (100 ms a look) while a job works,
    /// so no call outlives its timeout, and jumps (30 minutes) while every job waits for something, such as a quota reset.
    /// The finish job, which looks in every 100 ms, does not count as work.
    /// </summary>
    public async Task<SyncSummary> WaitCreepingAsync(string run, TimeSpan within)
    {
        var time = Time ?? throw new InvalidOperationException("The harness has no fake clock.");
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await Store.GetEffectAsync(SyncKeys.Summary(run), CancellationToken.None) is { ResultJson: { } json })
                return JsonSerializer.Deserialize<SyncSummary>(json, JsonSerializerOptions.Web)!;
            Assert.True(DateTime.UtcNow < deadline, $"the run did not finish; the clock is at {time.GetUtcNow():u}");
            var busy = (await Store.ListAsync(new JobQuery { States = [JobState.Running, JobState.Available, JobState.Retryable], Limit = 20 }, CancellationToken.None))
                .Any(j => j.Kind != ChannelSyncKinds.Finish);
            time.Advance(busy ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromMinutes(30));
            await Task.Delay(10);
        }
    }

    public async Task<SyncSummary> SyncAsync(IEnumerable<string> channels, params string[] destinations) =>
        await WaitAsync(await StartRunAsync(channels, destinations));

    /// <summary>The rows of a CSV destination, by video id; fails on a duplicate id.</summary>
    public static Dictionary<string, string[]> ReadCsv(string path)
    {
        var rows = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path).Skip(1))
        {
            var cells = SplitCsv(line);
            Assert.True(rows.TryAdd(cells[0], cells), $"Video {cells[0]} is in {path} twice.");
        }
        return rows;
    }

    private static string[] SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await Host.StopAsync(stop.Token);
        if (Host is IAsyncDisposable asyncHost)
            await asyncHost.DisposeAsync();
        else
            Host.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"Could not delete {Directory}: {ex.Message}");
        }
    }
}
