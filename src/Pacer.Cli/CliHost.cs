using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Pacer.Cli;

/// <summary>What a command's host is made of; tests set <see cref="Overrides"/> to run commands in-process.</summary>
internal sealed record CliHostSettings(string DatabasePath)
{
    /// <summary>An appsettings-style JSON file layered over the embedded defaults (<c>--config</c>).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Applied after configuration binding, e.g. the values of <c>--concurrency</c> and <c>--queues</c>.</summary>
    public Action<PacerOptions>? Options { get; init; }

    /// <summary>Whether log lines are written to the console (the worker's output); other commands keep quiet.</summary>
    public bool ConsoleLogging { get; init; }

    public CliOverrides? Overrides { get; init; }

    /// <summary>Sets up the channel-sync recipe (YouTube, Sheets, its job kinds); null leaves it out.</summary>
    public Sync.SyncSetup? ChannelSync { get; init; }

    /// <summary>
    /// Sets up the channel-sync recipe when a YouTube key is configured (a worker then runs scheduled syncs);
    /// <c>YouTube:BaseAddress</c> and <c>Sheets:BaseAddress</c> point it at emulators.
    /// </summary>
    public bool ChannelSyncWhenConfigured { get; init; }

    /// <summary>Reloads <see cref="ConfigFile"/> when it changes (a worker: its resources follow the file; see docs/configuration.md).</summary>
    public bool WatchConfigFile { get; init; }

    /// <summary>
    /// Exports traces, metrics and logs over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured (commands that run
    /// jobs: run, sync; a command that only reads or writes rows has nothing worth a collector's time).
    /// </summary>
    public bool ExportTelemetry { get; init; }

    /// <summary>Keeps where the API clients' credentials were read from (<c>pacer sync</c> shows it).</summary>
    public Sync.CredentialNotes? CredentialNotes { get; init; }
}

/// <summary>Hooks for tests and embedding: extra kinds, a clock, where logs go.</summary>
internal sealed record CliOverrides
{
    public Action<PacerBuilder>? Pacer { get; init; }

    public Action<PacerOptions>? Options { get; init; }

    /// <summary>Replaces the console logger.</summary>
    public Action<ILoggingBuilder>? Logging { get; init; }

    public TimeProvider? Time { get; init; }
}

/// <summary>Builds the generic host every command uses: the same configuration, kinds and store for all of them.</summary>
internal static class CliHost
{
    private const string DefaultsResource = "Pacer.Cli.pacer.defaults.json";

    /// <summary>
    /// Builds a command's host and checks its configuration before anything opens the database. A missing or malformed
    /// <c>--config</c> file and values the binder cannot convert are usage errors; values that fail validation throw
    /// <see cref="OptionsValidationException"/>, which <see cref="PacerCli.GuardAsync"/> reports with every failure.
    /// </summary>
    public static IHost Build(CliHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var file = settings.ConfigFile;
        if (file is not null && !File.Exists(file))
            throw CliException.Usage($"--config {file} does not exist; pass the path of an appsettings-style JSON file.");
        IHost host;
        try
        {
            host = CreateBuilder(settings).Build();
            host.Services.GetService<ConfigFile>()?.LogTo(host.Services.GetRequiredService<ILoggerFactory>());
        }
        catch (InvalidDataException ex) when (file is not null)
        {
            throw CliException.Usage($"--config {file} is not valid JSON: {ex.InnerException?.Message ?? ex.Message} Fix the file and run again.", ex);
        }
        try
        {
            // Binding and validation happen here, for every command: enqueue needs the resources as much as run does.
            _ = host.Services.GetRequiredService<IOptions<PacerOptions>>().Value;
            return host;
        }
        catch (InvalidOperationException ex)
        {
            // The binder's own message names the key and the type it expected.
            host.Dispose();
            throw CliException.Usage($"invalid configuration: {ex.Message} Fix the value in --config or the environment.", ex);
        }
        catch (OptionsValidationException)
        {
            host.Dispose();
            throw;
        }
    }

    public static HostApplicationBuilder CreateBuilder(CliHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });

        // Later sources win: embedded defaults, then --config, then environment (PACER__CONCURRENCY=20).
        builder.Configuration.AddJsonStream(typeof(CliHost).Assembly.GetManifestResourceStream(DefaultsResource)
            ?? throw new InvalidOperationException($"Embedded resource {DefaultsResource} is missing from the build."));
        if (settings.ConfigFile is { } file)
        {
            var config = new ConfigFile(file, settings.WatchConfigFile);
            builder.Services.AddSingleton(_ => config); // made by the container so that it disposes it with the host
            config.AddTo(builder.Configuration);
        }
        builder.Configuration.AddEnvironmentVariables();
        if (settings.ChannelSync?.Configuration is { Count: > 0 } extra)
            builder.Configuration.AddInMemoryCollection(extra);

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        if (settings.Overrides?.Logging is { } logging)
            logging(builder.Logging);
        else if (settings.ConsoleLogging)
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
                console.UseUtcTimestamp = true;
                console.ColorBehavior = Console.IsOutputRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
            });
        if (settings.CredentialNotes is { } notes)
        {
            // After the console's set-up (which a test may clear), and at Information whatever the Logging section says.
            builder.Logging.AddProvider(notes);
            builder.Logging.AddFilter<Sync.CredentialNotes>(null, LogLevel.Information);
        }

        // After the logging set-up, so that a test's or an embedder's cleared providers do not remove the OTLP log exporter.
        if (settings.ExportTelemetry && Telemetry.OtlpSettings.IsConfigured(builder.Configuration))
            Telemetry.OtlpExport.AddTo(builder);

        // The command owns Ctrl+C and SIGTERM (see PacerCli): the host stops when the command's token fires.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        if (settings.Overrides?.Time is { } time)
            builder.Services.AddSingleton(time);

        var pacer = builder.Services.AddPacer(p => p.AddBuiltInJobs());
        if (DatabaseFile.IsPostgres(settings.DatabasePath))
            pacer.UsePostgres(settings.DatabasePath);
        else
            pacer.UseSqlite(settings.DatabasePath);
        var channelSync = settings.ChannelSync ?? (settings.ChannelSyncWhenConfigured ? Sync.SyncSetup.FromConfiguration(builder.Configuration) : null);
        if (channelSync is { } sync)
        {
            builder.Services.AddYouTube(youtube =>
            {
                if (sync.YouTubeBase is { } youtubeBase)
                    youtube.BaseAddress = youtubeBase;
                // Without any, an API key: the error at start names where to put one.
                youtube.CredentialKind = sync.YouTubeCredential ?? Sync.SyncSetup.YouTubeCredentialIn(builder.Configuration) ?? YouTube.YouTubeCredentialKind.ApiKey;
                youtube.CredentialFile ??= Sync.SyncSetup.YouTubeCredentialFile(builder.Configuration);
            });
            if (sync.Sheets)
            {
                builder.Services.AddSheets(sheets =>
                {
                    if (sync.SheetsBase is { } sheetsBase)
                        sheets.BaseAddress = sheetsBase;
                    // Without any, a service account key: the error at start names where to put one.
                    sheets.CredentialKind = sync.SheetsCredential ?? Sync.SyncSetup.SheetsCredentialIn(builder.Configuration) ?? Pacer.Sheets.SheetsCredentialKind.ServiceAccount;
                    sheets.CredentialFile ??= Sync.SyncSetup.SheetsCredentialFile(builder.Configuration);
                });
            }
            pacer.AddChannelSync();
        }
        if (settings.Options is { } options)
            pacer.Configure(options);
        if (settings.Overrides?.Options is { } overrideOptions)
            pacer.Configure(overrideOptions);
        settings.Overrides?.Pacer?.Invoke(pacer);
        return builder;
    }

    /// <summary>A lifetime with no signal handlers of its own: the command decides when to stop.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
