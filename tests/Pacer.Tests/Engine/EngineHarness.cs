using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Pacer.Storage;

namespace Pacer.Tests.Engine;

/// <summary>
/// A real engine on a real SQLite file, with a fake clock: the engine only moves on its own signals (enqueue,
/// finished jobs) and on time the test advances, so every test is deterministic and none sleeps.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly string _directory;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _counts = [];
    private readonly List<(string Instrument, long Target, TaskCompletionSource Done)> _waiters = [];

    private EngineHarness(string directory, IHost host, FakeTimeProvider time)
    {
        _directory = directory;
        Host = host;
        Time = time;
        var meterFactory = host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meterFactory && instrument.Meter.Name == PacerTelemetryNames.Meter)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(instrument.Name, value));
        _listener.Start();
    }

    public IHost Host { get; }
    public FakeTimeProvider Time { get; }
    public IPacerClient Client => Host.Services.GetRequiredService<IPacerClient>();
    public IJobStore Store => Host.Services.GetRequiredService<IJobStore>();
    public IPacerEngine Engine => Host.Services.GetRequiredService<IPacerEngine>();
    public string DatabasePath => Path.Combine(_directory, "pacer.db");

    public static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    public static async Task<EngineHarness> StartAsync(
        Action<PacerBuilder> configure, Action<PacerOptions>? options = null, bool start = true, Action<IConfigurationBuilder>? configuration = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "pacer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var time = new FakeTimeProvider(Start);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configuration?.Invoke(builder.Configuration);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IRandomSource>(new FixedRandom(0.5));
        var pacer = builder.Services.AddPacer(p => p.UseSqlite(Path.Combine(directory, "pacer.db")));
        pacer.Configure(o =>
        {
            o.Concurrency = 8;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.CancellationGracePeriod = TimeSpan.FromSeconds(2);
            o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromMinutes(10) };
            options?.Invoke(o);
        });
        configure(pacer);
        var host = builder.Build();
        var harness = new EngineHarness(directory, host, time);
        if (start)
            await host.StartAsync();
        return harness;
    }

    public long Count(string instrument)
    {
        lock (_lock)
            return _counts.GetValueOrDefault(instrument);
    }

    /// <summary>Completes when the counter reaches <paramref name="target"/> (the engine counts after the store accepted the write).</summary>
    public Task WaitForCountAsync(string instrument, long target)
    {
        lock (_lock)
        {
            if (_counts.GetValueOrDefault(instrument) >= target)
                return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((instrument, target, done));
            return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private void Record(string instrument, long value)
    {
        lock (_lock)
        {
            _counts[instrument] = _counts.GetValueOrDefault(instrument) + value;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Instrument == instrument && _counts[instrument] >= _waiters[i].Target)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// Moves the fake clock in steps until <paramref name="condition"/> completes. Background loops (maintenance,
    /// polling) arm their next timer only after a pass ends, so one big jump could land between passes and fire nothing.
    /// </summary>
    public async Task AdvanceUntilAsync(Task condition, TimeSpan step, int maxSteps = 1000)
    {
        for (var i = 0; i < maxSteps && !condition.IsCompleted; i++)
        {
            Time.Advance(step);
            await Task.WhenAny(condition, Task.Delay(10));
        }
        await condition;
    }

    /// <summary>Completes when <paramref name="condition"/> holds, looked at every 10 ms of real time; fails after 30 s.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(10);
        }
    }

    /// <summary>Completes when the job is in <paramref name="state"/> (see <see cref="UntilAsync"/>).</summary>
    public Task UntilStateAsync(long id, JobState state) => UntilAsync(async () => (await GetAsync(id)).State == state);

    public async Task<JobRecord> GetAsync(long id) =>
        await Store.GetAsync(id, CancellationToken.None) ?? throw new InvalidOperationException($"Job {id} not found.");

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await Host.StopAsync(stop.Token);
        // The container owns the store and disposes it asynchronously with the host.
        if (Host is IAsyncDisposable asyncHost)
            await asyncHost.DisposeAsync();
        else
            Host.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException ex)
        {
            // A leftover temp folder is harmless; say so rather than fail the test that already passed.
            Console.Error.WriteLine($"Could not delete {_directory}: {ex.Message}");
        }
    }
}

internal sealed class FixedRandom(double value) : IRandomSource
{
    public double NextDouble() => value;
}
