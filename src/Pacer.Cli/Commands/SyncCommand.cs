using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pacer.ChannelSync;
using Pacer.Cli.Sync;
using Pacer.Sinks;
using Pacer.Storage;

namespace Pacer.Cli.Commands;

/// <summary>
/// <c>pacer sync</c>: keeps a table of YouTube channels' videos up to date in CSV, XLSX, SQLite or Google Sheets, through
/// the engine (durable jobs, the youtube quota, conditional requests), once or on a cron schedule.
/// </summary>
internal static class SyncCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var channels = new Option<string>("--channels")
        {
            Description = "A file with one channel per line, or channels separated by commas: UC... ids, @handles, channel URLs, username:NAME",
            HelpName = "FILE_OR_IDS",
            Required = true,
        };
        var to = new Option<string[]>("--to")
        {
            Description = "Where the videos go: out.xlsx, out.csv, sqlite:PATH[#table] or sheets:SPREADSHEET_ID/TAB (repeat for several)",
            HelpName = "DEST",
            Required = true,
        };
        var apiBase = new Option<string?>("--api-base") { Description = "The YouTube API's base URL, e.g. an emulator's (pacer emulate youtube)", HelpName = "URL" };
        var sheetsBase = new Option<string?>("--sheets-base") { Description = "The Sheets API's base URL, e.g. an emulator's (pacer emulate sheets)", HelpName = "URL" };
        var every = new Option<string?>("--every") { Description = "Register a recurring sync on this cron schedule instead of syncing now, e.g. '0 * * * *'", HelpName = "CRON" };
        var zone = new Option<string?>("--time-zone") { Description = "The schedule's time zone (IANA id), default UTC", HelpName = "ZONE" };
        var name = new Option<string?>("--name") { Description = "The schedule's name (default: from the channels and destinations)", HelpName = "NAME" };
        var command = new Command("sync", """
            Sync YouTube channels' videos into a table: new videos only, never a row twice, the quota spent least.
            The API key comes from PACER_YOUTUBE_API_KEY (or the YouTube:ApiKey setting); for a user's own data,
            PACER_YOUTUBE_AUTHORIZED_USER (or YouTube:AuthorizedUser) holds an OAuth client and refresh token, JSON.
            Sheets needs PACER_SHEETS_SERVICE_ACCOUNT (a service account key, JSON) or PACER_SHEETS_AUTHORIZED_USER
            (an OAuth client and refresh token, JSON), or PACER_SHEETS_ACCESS_TOKEN with an emulator.
            """)
        {
            channels, to, apiBase, sheetsBase, every, zone, name,
        };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var refs = ReadChannels(parse.GetValue(channels)!);
            var destinations = Absolute(parse.GetValue(to)!.Select(d => d.Trim()).Where(d => d.Length > 0)).Distinct(StringComparer.Ordinal).ToArray();
            if (destinations.Length == 0)
                throw CliException.Usage("--to is empty; give a destination such as videos.xlsx.");
            if (parse.GetValue(every) is not null)
            {
                // A schedule stores the channels and destinations; the APIs' addresses are the worker's (pacer run) to know.
                if (parse.GetValue(apiBase) is { } youtubeBase)
                    throw StoredNowhere("--api-base", "YouTube", youtubeBase);
                if (parse.GetValue(sheetsBase) is { } sheetsAddress)
                    throw StoredNowhere("--sheets-base", "Sheets", sheetsAddress);
            }
            var setup = new SyncSetup
            {
                YouTubeBase = Url("--api-base", parse.GetValue(apiBase)),
                SheetsBase = Url("--sheets-base", parse.GetValue(sheetsBase)),
                Sheets = destinations.Any(d => d.StartsWith("sheets:", StringComparison.OrdinalIgnoreCase)),
            };
            var credentials = new CredentialNotes();
            using var host = CliHost.Build(cli.HostSettings() with { ChannelSync = setup, ExportTelemetry = true, CredentialNotes = credentials });
            CheckDestinations(host.Services, destinations);
            // A schedule's credentials are its worker's (pacer run), not this shell's.
            if (parse.GetValue(every) is null)
                SyncSetup.CheckApplicationDefault(host.Services.GetRequiredService<IConfiguration>(), setup.Sheets);
            if (parse.GetValue(every) is null && refs.Any(r => r.Kind == ChannelRefKind.Mine)
                && SyncSetup.YouTubeCredentialIn(host.Services.GetRequiredService<IConfiguration>()) is YouTube.YouTubeCredentialKind.ApiKey)
            {
                throw CliException.Usage("--channels has 'mine', the channel of the user an OAuth credential is for, but the YouTube credential is an API key. " +
                    "Set PACER_YOUTUBE_AUTHORIZED_USER (see 'pacer authorize') instead of the key, or name the channel.");
            }
            DatabaseFile.EnsureCreatable(cli.DatabasePath);
            var args = new ChannelSyncArgs { Channels = [.. refs.Select(r => r.Text)], Destinations = destinations };

            if (parse.GetValue(every) is { } cron)
                return await ScheduleAsync(cli, host.Services, args, cron, parse.GetValue(zone), parse.GetValue(name), cancellationToken);
            if (parse.GetValue(zone) is not null || parse.GetValue(name) is not null)
                throw CliException.Usage("--time-zone and --name describe a schedule; give --every CRON with them.");

            await host.StartAsync(cancellationToken);
            SyncReport report;
            try
            {
                using var runner = new SyncRunner(host.Services, cli.Console);
                report = await runner.RunAsync(args.Channels, destinations, "sync", cancellationToken);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
            await SyncRunner.WriteAsync(cli.Console, "Pacer sync", report, credentials.Lines);
            return report.Summary.Failed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static CliException StoredNowhere(string option, string api, string address) => CliException.Usage(
        $"{option} is not stored with a schedule: the worker ('pacer run') that runs it calls the {api} API at {api}:BaseAddress. " +
        $"Put \"{api}\": {{ \"BaseAddress\": \"{address}\" }} in the worker's --config and leave {option} out.");

    /// <summary>A file if one exists by that name, else the list itself.</summary>
    internal static IReadOnlyList<ChannelRef> ReadChannels(string value)
    {
        string text, source;
        if (File.Exists(value))
        {
            text = File.ReadAllText(value);
            source = value;
        }
        else if (value.IndexOfAny(['/', '\\']) >= 0 && !value.Contains("youtube.com", StringComparison.OrdinalIgnoreCase))
        {
            throw CliException.Usage($"--channels {value}: no such file; give a file with one channel per line, or channels separated by commas.");
        }
        else
        {
            text = value;
            source = "--channels";
        }
        try
        {
            var refs = ChannelRef.ParseList(text, source);
            return refs.Count > 0 ? refs : throw CliException.Usage($"{source} lists no channel; give at least one (an id, @handle or URL).");
        }
        catch (FormatException ex)
        {
            throw CliException.Usage(ex.Message, ex);
        }
    }

    private static Uri? Url(string option, string? value)
    {
        if (value is null)
            return null;
        if (!Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw CliException.Usage($"{option} {value} is not an http(s) URL; give one such as http://127.0.0.1:8081/.");
        return uri;
    }

    /// <summary>
    /// Local files as absolute paths: the jobs store them, and a worker that finishes the run (the next sync, or
    /// <c>pacer run</c> started elsewhere, under systemd in /) would otherwise write another file in its own directory.
    /// </summary>
    private static IEnumerable<string> Absolute(IEnumerable<string> destinations)
    {
        foreach (var destination in destinations)
        {
            string absolute;
            try
            {
                absolute = TableSinks.Absolute(destination);
            }
            catch (SinkException ex)
            {
                throw CliException.Usage($"--to: {ex.Message}", ex);
            }
            yield return absolute;
        }
    }

    /// <summary>Every destination must name one before anything is stored.</summary>
    internal static void CheckDestinations(IServiceProvider services, IEnumerable<string> destinations)
    {
        var factory = services.GetRequiredService<ITableSinkFactory>();
        foreach (var destination in destinations)
        {
            try
            {
                factory.Create(destination).DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (SinkException ex)
            {
                throw CliException.Usage($"--to: {ex.Message}", ex);
            }
        }
    }

    private static async Task<int> ScheduleAsync(CliContext cli, IServiceProvider services, ChannelSyncArgs args, string cron, string? zone, string? name, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IJobStore>();
        await store.MigrateAsync(cancellationToken);
        name ??= "channel-sync-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join('\n', args.Channels) + "\n>" + string.Join('\n', args.Destinations))))[..8];
        var client = services.GetRequiredService<IPacerClient>();
        // Local files are on this machine: on a store other machines share, the schedule's runs happen here.
        var queue = services.GetRequiredService<ChannelSyncOptions>().QueueFor(args.Destinations, store.Capabilities);
        try
        {
            // The run knows its schedule and its job carries the schedule's tag, so a slot that comes while the previous run
            // is unfinished (waiting for the quota's reset, say) is skipped instead of piling up behind it.
            await client.ScheduleAsync(new ScheduleRequest(name, cron, ChannelSyncKinds.Run, JsonSerializer.Serialize(args with { Schedule = name }, JsonSerializerOptions.Web), zone,
                new EnqueueOptions { Tags = [SyncKeys.ScheduleTag(name)], Queue = queue }), cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage($"--every: {ex.Message}", ex);
        }
        var schedule = (await client.ListSchedulesAsync(cancellationToken)).Single(s => s.Name == name);
        await Output.WriteLineAsync(cli.Console,
            $"Scheduled {name}: '{cron}' in {schedule.TimeZone}, next run {Output.Time(schedule.NextSlot)}. " +
            (queue is null
                ? "A worker runs it: keep 'pacer run' going with the same --db and --config (and the API key in its environment)."
                : $"A worker on this machine runs it, where the files are (queue {queue}): keep 'pacer run' going here with the same --db and --config (and the API key in its environment)."));
        return ExitCodes.Ok;
    }
}
