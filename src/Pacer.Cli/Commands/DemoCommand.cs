using System.CommandLine;
using Pacer.Cli.Sync;
using Pacer.Emulators;

namespace Pacer.Cli.Commands;

/// <summary>
/// <c>pacer demo</c>: the channel-sync recipe end to end with no keys and no network. A local YouTube emulator serves 32
/// channels; their videos are synced into an XLSX and a CSV file through the SQLite store; then a few new uploads appear
/// and a second, incremental sync shows what Pacer saves: unchanged channels answered 304 from the cache, only new rows.
/// </summary>
internal static class DemoCommand
{
    private const string DatabaseName = "demo.db";

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var dir = new Option<string>("--dir") { Description = "Folder of the demo's files (its previous demo files are replaced)", DefaultValueFactory = _ => "./pacer-demo", HelpName = "PATH" };
        var channels = new Option<int>("--channels") { Description = "Channels the local YouTube serves (1 to 1000)", DefaultValueFactory = _ => 32, HelpName = "N" };
        var latency = new Option<int>("--latency") { Description = "Milliseconds the local YouTube takes per call", DefaultValueFactory = _ => 0, HelpName = "MS" };
        var command = new Command("demo", "Sync 32 channels of a local YouTube into videos.xlsx and videos.csv, then add uploads and sync again incrementally")
        {
            dir, channels, latency,
        };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            // The demo replaces its database on every run, so it keeps one of its own rather than risk a user's.
            if (cli.DatabaseGiven)
                throw CliException.Usage($"demo keeps its own database, {Path.Combine(parse.GetValue(dir)!, DatabaseName)} (replaced on every run); drop --db, and give --dir PATH to put it elsewhere.");
            var count = parse.GetValue(channels);
            if (count is < 1 or > 1000)
                throw CliException.Usage($"--channels {count} is out of range; use 1 to 1000.");
            var ms = parse.GetValue(latency);
            if (ms is < 0 or > 10_000)
                throw CliException.Usage($"--latency {ms} is out of range; use 0 to 10000 milliseconds.");
            var directory = Path.GetFullPath(parse.GetValue(dir)!);
            var database = Path.Combine(directory, DatabaseName);
            var xlsx = Path.Combine(directory, "videos.xlsx");
            var csv = Path.Combine(directory, "videos.csv");

            await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
            {
                ChannelCount = count,
                Seed = 7,
                Latency = TimeSpan.FromMilliseconds(ms),
            }, cancellationToken);
            var setup = new SyncSetup
            {
                YouTubeBase = youtube.BaseAddress,
                // The emulator takes any key; this one only keeps the client's "no key" check quiet.
                Configuration = new Dictionary<string, string?> { ["YouTube:ApiKey"] = "pacer-demo" },
            };
            // The configuration is checked before the previous demo's files are deleted.
            using var host = CliHost.Build((cli with { DatabasePath = database }).HostSettings() with { ChannelSync = setup });
            Directory.CreateDirectory(directory);
            foreach (var file in new[] { database, database + "-wal", database + "-shm", xlsx, xlsx + ".pending.csv", csv })
                File.Delete(file);

            await Output.WriteLineAsync(cli.Console, $"A local YouTube serves {count} channels at {youtube.BaseAddress}; syncing them into {xlsx} and {csv}.");
            var ids = youtube.Channels.Select(c => c.Id).ToArray();
            string[] destinations = [xlsx, csv];
            await host.StartAsync(cancellationToken);
            try
            {
                using var runner = new SyncRunner(host.Services, cli.Console);
                var first = await runner.RunAsync(ids, destinations, "first sync", cancellationToken);
                await SyncRunner.WriteAsync(cli.Console, "First sync: every video", first);

                var changed = youtube.AddUploads(channelShare: 0.05, videosPerChannel: 3);
                await Output.WriteLineAsync(cli.Console, $"{changed.Count * 3} new uploads appeared on {changed.Count} channel{(changed.Count == 1 ? "" : "s")}; syncing again.");
                var second = await runner.RunAsync(ids, destinations, "incremental sync", cancellationToken);
                await SyncRunner.WriteAsync(cli.Console, "Incremental sync: only what changed", second);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
            await Output.WriteLineAsync(cli.Console, $"Files: {xlsx} and {csv}");
            await Output.WriteLineAsync(cli.Console, $"Look inside: pacer jobs list --db {database}   pacer resources --db {database}");
            // The next step a newcomer takes: the same against YouTube itself, where a key is needed.
            await Output.WriteLineAsync(cli.Console,
                "Your own channels: put their ids or @handles in a file, one a line, set PACER_YOUTUBE_API_KEY to a YouTube Data API key, " +
                "and run: pacer sync --channels channels.txt --to videos.xlsx (see docs/channel-sync.md)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
