using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pacer.Emulators;
using Pacer.Sinks;
using Pacer.Storage;
using Pacer.Testing;

namespace Pacer.Sheets.Tests;

/// <summary>
/// A Sheets emulator (or any server) and a service provider with Pacer on a SQLite file, the Sheets client pointed at the
/// server with an access token from configuration, and every log line captured. The emulator's per-minute limits are
/// off unless a test sets them, and the <c>sheets</c> resource is fast (100/s) unless a test changes it.
/// </summary>
internal sealed class SheetsHarness : IAsyncDisposable
{
    public const string Token = "ya29.TEST-sheets-secret-token-0123456789";
    public const string SpreadsheetId = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

    private readonly TempDirectory _directory;
    private readonly SheetsEmulator? _emulator;

    private SheetsHarness(TempDirectory directory, SheetsEmulator? emulator, ServiceProvider services, LogCapture logs)
    {
        _directory = directory;
        _emulator = emulator;
        Services = services;
        Logs = logs;
    }

    public SheetsEmulator Emulator => _emulator ?? throw new InvalidOperationException("This harness talks to a fixture server, not the emulator.");

    public ServiceProvider Services { get; }

    public LogCapture Logs { get; }

    public ISheetsClient Client => Services.GetRequiredService<ISheetsClient>();

    public static async Task<SheetsHarness> StartAsync(
        Action<SheetsEmulatorOptions>? emulator = null,
        Action<SheetsOptions>? client = null,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? configuration = null)
    {
        var options = new SheetsEmulatorOptions
        {
            ReadRequestsPerMinutePerUser = 0,
            WriteRequestsPerMinutePerUser = 0,
            ReadRequestsPerMinutePerProject = 0,
            WriteRequestsPerMinutePerProject = 0,
        };
        options.BearerTokens.Add(Token);
        options.SpreadsheetIds.Add(SpreadsheetId);
        emulator?.Invoke(options);
        var started = await SheetsEmulator.StartAsync(options);
        return await StartAsync(started.BaseAddress, client, services, configuration, started);
    }

    public static async Task<SheetsHarness> StartAsync(
        Uri baseAddress,
        Action<SheetsOptions>? client = null,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? configuration = null,
        SheetsEmulator? emulator = null)
    {
        var directory = new TempDirectory();
        var logs = new LogCapture();
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        collection.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(configuration ?? new Dictionary<string, string?> { ["Sheets:AccessToken"] = Token })
            .Build());
        collection.AddPacer(p => p.UseSqlite(directory.File("pacer.db")));
        collection.AddSheets(o =>
        {
            o.BaseAddress = baseAddress;
            o.CredentialKind = SheetsCredentialKind.AccessToken;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
            client?.Invoke(o);
        });
        // Fast unless the test declared the resource itself (AddSheets keeps an application's declaration).
        collection.AddOptions<PacerOptions>().Configure(p =>
        {
            if (!p.Resources.ContainsKey("sheets"))
                p.Resources["sheets"] = new ResourceOptions { Rate = "100/s" };
        });
        // Last: the test's own registrations (a handler nearest the network, a clock, a resource of its own).
        services?.Invoke(collection);
        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.GetRequiredService<IJobStore>().MigrateAsync(CancellationToken.None);
        return new SheetsHarness(directory, emulator, provider, logs);
    }

    public ITableSink Sink(string tab = "Videos", Action<SheetsSinkOptions>? configure = null)
    {
        var options = new SheetsSinkOptions { SpreadsheetId = SpreadsheetId, Tab = tab, ReconcileDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        return Services.GetRequiredService<ISheetsSinkFactory>().Create(options);
    }

    /// <summary>A tab's cells as the emulator holds them (formatted), header included.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cells(string tab = "Videos") => Emulator.GetValues(SpreadsheetId, $"'{tab}'");

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        if (_emulator is not null)
            await _emulator.DisposeAsync();
        _directory.Dispose();
    }

    // ----- a table like the channel sync's -----

    public static readonly TableSchema Schema = new(
    [
        new TableColumn("Video", ColumnKind.Text),
        new TableColumn("Title", ColumnKind.Text),
        new TableColumn("Published", ColumnKind.DateTime),
        new TableColumn("Views", ColumnKind.Integer),
        new TableColumn("Score", ColumnKind.Number),
        new TableColumn("URL", ColumnKind.Url),
    ]);

    public static TableRow Row(int n) => new($"vid{n:D8}",
    [
        $"vid{n:D8}",
        $"Video number {n}",
        new DateTimeOffset(2024, 5, 14, 17, 0, 8, TimeSpan.Zero).AddDays(n),
        (long)n * 250_000,
        n / 4.0,
        $"https://www.youtube.com/watch?v=vid{n:D8}",
    ]);

    public static List<TableRow> Rows(int from, int count) => [.. Enumerable.Range(from, count).Select(Row)];
}
