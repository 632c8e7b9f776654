using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pacer.Storage;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer run</c>: a worker host running the engine until Ctrl+C or SIGTERM (or, with --drain, until idle).</summary>
internal static class RunCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var concurrency = new Option<int?>("--concurrency") { Description = "Jobs this worker runs at once, across all queues", HelpName = "N" };
        var queues = new Option<string?>("--queues") { Description = "Queues to work and their concurrency, e.g. default=5,emails=2", HelpName = "LIST" };
        var drain = new Option<bool>("--drain")
        {
            Description = "Exit 0 once no job is running or due; jobs scheduled for later, waiting for a resource or in a paused queue stay",
        };
        var command = new Command("run", "Run a worker: execute due jobs until stopped (Ctrl+C or SIGTERM stop it gracefully)")
        {
            concurrency, queues, drain,
        };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var slots = parse.GetValue(concurrency);
            if (slots is < 1)
                throw CliException.Usage($"--concurrency {slots} is too small; use 1 or more.");
            var queueValue = parse.GetValue(queues);
            var queueSlots = queueValue is null ? null : CliParse.Queues("--queues", queueValue);

            var settings = cli.HostSettings() with
            {
                ConsoleLogging = true,
                WatchConfigFile = true,
                ExportTelemetry = true,
                // Scheduled syncs (pacer sync --every) run on workers that have a YouTube key.
                ChannelSyncWhenConfigured = true,
                Options = options =>
                {
                    if (slots is { } n)
                        options.Concurrency = n;
                    if (queueSlots is not null)
                    {
                        // The flag replaces the configured queues rather than adding to them.
                        options.Queues.Clear();
                        foreach (var (name, count) in queueSlots)
                            options.Queues[name] = count;
                    }
                },
            };
            using var host = CliHost.Build(settings);
            DatabaseFile.EnsureCreatable(cli.DatabasePath);
            await host.StartAsync(cancellationToken);
            await WarnOfSyncsWithoutKeyAsync(cli.Console, host.Services, cancellationToken);
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            var drained = false;
            try
            {
                if (parse.GetValue(drain))
                {
                    await host.Services.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(stopping.Token);
                    drained = true;
                }
                else
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && lifetime.ApplicationStopping.IsCancellationRequested)
            {
                throw CliException.Failure("The worker host stopped before the jobs drained; see the log lines above for why.");
            }
            finally
            {
                // Graceful: stop fetching, let running jobs finish (ShutdownTimeout), write every outcome.
                await host.StopAsync(CancellationToken.None);
            }
            if (drained)
                await WriteDrainedAsync(cli.Console, host.Services, cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// A worker without a YouTube credential does not run channel syncs; if the database holds some (a schedule, a run's jobs),
    /// say so once in the CLI's words, rather than leave the engine's "kind this worker does not know" to explain it.
    /// </summary>
    private static async Task WarnOfSyncsWithoutKeyAsync(CliConsole console, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (Sync.SyncSetup.FromConfiguration(services.GetRequiredService<IConfiguration>()) is not null)
            return;
        var store = services.GetRequiredService<IJobStore>();
        var schedules = (await store.ListSchedulesAsync(cancellationToken)).Count(s => s.Kind == ChannelSync.ChannelSyncKinds.Run);
        var jobs = 0;
        foreach (var kind in new[] { ChannelSync.ChannelSyncKinds.Run, ChannelSync.ChannelSyncKinds.Channel, ChannelSync.ChannelSyncKinds.Finish })
        {
            jobs += (await store.ListAsync(new JobQuery
            {
                Kind = kind,
                States = JobStates.Unfinished,
                Limit = 1_000,
            }, cancellationToken)).Count;
        }
        if (schedules == 0 && jobs == 0)
            return;
        var what = string.Join(" and ", new[]
        {
            schedules == 0 ? null : $"{Output.Number(schedules)} sync {(schedules == 1 ? "schedule" : "schedules")}",
            jobs == 0 ? null : $"{Output.Number(jobs)} unfinished sync {(jobs == 1 ? "job" : "jobs")}",
        }.OfType<string>());
        await console.Error.WriteLineAsync(
            $"warning: this database holds {what}, but this worker has no YouTube credential, so it leaves them to a worker that has one. " +
            "Set PACER_YOUTUBE_API_KEY (or YouTube:ApiKey in --config; YouTube:AuthorizedUser for an OAuth client and refresh token) to run them here.");
    }

    /// <summary>Says what a drain left behind that is not scheduled for later: jobs waiting for resources, paused queues.</summary>
    private static async Task WriteDrainedAsync(CliConsole console, IServiceProvider services, CancellationToken cancellationToken)
    {
        await Output.WriteLineAsync(console, "Drained: no job is running or due.");
        var store = services.GetRequiredService<IJobStore>();
        var waiting = (await store.CountWaitingAsync(cancellationToken)).Values.Sum();
        if (waiting > 0)
            await Output.WriteLineAsync(console, $"{Output.Number(waiting)} {(waiting == 1 ? "job waits" : "jobs wait")} for a resource; see 'pacer jobs list --state waiting' and 'pacer resources'.");
        // The engine works the configured queues, or "default" when none is configured.
        var worked = services.GetRequiredService<IOptions<PacerOptions>>().Value.Queues.Keys.DefaultIfEmpty("default").ToHashSet(StringComparer.Ordinal);
        // The pauses that hold a worked queue: its own, or its parent's (default for default:web-1).
        var flags = (await store.ListQueueStatesAsync(cancellationToken)).Where(q => q.Paused).Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var paused = worked.Select(q => flags.Contains(q) ? q : QueueState.PausedWith(q) is { } parent && flags.Contains(parent) ? parent : null)
            .OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (paused.Length == 1)
            await Output.WriteLineAsync(console, $"Queue {paused[0]} is paused; its jobs run after 'pacer queues resume {paused[0]}'.");
        else if (paused.Length > 1)
            await Output.WriteLineAsync(console, $"Queues {string.Join(", ", paused)} are paused; their jobs run after 'pacer queues resume NAME'.");
    }
}
