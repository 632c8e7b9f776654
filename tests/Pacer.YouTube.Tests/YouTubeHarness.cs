using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pacer.Emulators;
using Pacer.Storage;
using Pacer.Testing;

namespace Pacer.YouTube.Tests;

/// <summary>
/// A YouTube emulator (or any server) and a service provider with Pacer on a SQLite file, the YouTube client pointed at
/// the server, the API key in configuration, and every log line captured.
/// </summary>
internal sealed class YouTubeHarness : IAsyncDisposable
{
    public const string ApiKey = "AIzaSyTEST-secret-key-0123456789abcdef";

    private readonly TempDirectory _directory;
    private readonly YouTubeEmulator? _emulator;

    private YouTubeHarness(TempDirectory directory, YouTubeEmulator? emulator, ServiceProvider services, LogCapture logs)
    {
        _directory = directory;
        _emulator = emulator;
        Services = services;
        Logs = logs;
    }

    public YouTubeEmulator Emulator => _emulator ?? throw new InvalidOperationException("This harness talks to a fixture server, not the emulator.");

    public ServiceProvider Services { get; }

    public LogCapture Logs { get; }

    public IYouTubeClient Client => Services.GetRequiredService<IYouTubeClient>();

    /// <summary>Against a fresh emulator (small channels unless told otherwise; only <see cref="ApiKey"/> accepted), both on <paramref name="time"/> if given.</summary>
    public static async Task<YouTubeHarness> StartAsync(
        Action<YouTubeEmulatorOptions>? emulator = null,
        Action<YouTubeOptions>? client = null,
        Action<PacerBuilder>? pacer = null,
        IDictionary<string, string?>? configuration = null,
        TimeProvider? time = null)
    {
        var options = new YouTubeEmulatorOptions { Seed = 11, ChannelCount = 8, MinVideosPerChannel = 20, MaxVideosPerChannel = 130 };
        options.ApiKeys.Add(ApiKey);
        if (time is not null)
            options.TimeProvider = time;
        emulator?.Invoke(options);
        var started = await YouTubeEmulator.StartAsync(options);
        return await StartAsync(started.BaseAddress, client, pacer, configuration, started, time);
    }

    /// <summary>Against any server at <paramref name="baseAddress"/> (a fixture server).</summary>
    public static async Task<YouTubeHarness> StartAsync(
        Uri baseAddress,
        Action<YouTubeOptions>? client = null,
        Action<PacerBuilder>? pacer = null,
        IDictionary<string, string?>? configuration = null,
        YouTubeEmulator? emulator = null,
        TimeProvider? time = null)
    {
        var directory = new TempDirectory();
        var logs = new LogCapture();
        var services = new ServiceCollection();
        if (time is not null)
            services.AddSingleton(time);
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(configuration ?? new Dictionary<string, string?> { ["YouTube:ApiKey"] = ApiKey })
            .Build());
        services.AddPacer(p =>
        {
            p.UseSqlite(directory.File("pacer.db"));
            pacer?.Invoke(p);
        });
        services.AddYouTube(o =>
        {
            o.BaseAddress = baseAddress;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
            client?.Invoke(o);
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.GetRequiredService<IJobStore>().MigrateAsync(CancellationToken.None);
        return new YouTubeHarness(directory, emulator, provider, logs);
    }

    /// <summary>The resource as <c>pacer resources</c> shows it.</summary>
    public async Task<ResourceStatus> ResourceAsync(string name = "youtube") =>
        (await Services.GetRequiredService<IPacerResources>().ListAsync()).Single(r => r.Name == name);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        if (_emulator is not null)
            await _emulator.DisposeAsync();
        _directory.Dispose();
    }
}
