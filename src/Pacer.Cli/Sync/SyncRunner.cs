using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pacer.ChannelSync;
using Pacer.Storage;
using Spectre.Console;

namespace Pacer.Cli.Sync;

/// <summary>What one sync run did, from the store (the run's summary) and this process's telemetry (calls, cache hits).</summary>
internal sealed record SyncReport(SyncSummary Summary, long Calls, long CacheHits, long? QuotaSpent, long? QuotaLeft, DateTimeOffset? QuotaResets, TimeSpan Wall);

/// <summary>
/// Runs one channel sync through the engine of a started host and waits for it: enqueues the run job, shows progress
/// per phase, and reads the summary the run's finish job recorded. The work itself is the recipe's jobs; this only
/// watches, so a run interrupted here is finished by the next sync or by <c>pacer run</c>.
/// </summary>
internal sealed class SyncRunner : IDisposable
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(100);

    private readonly IServiceProvider _services;
    private readonly CliConsole _console;
    private readonly MeterListener _listener = new();
    private long _calls;
    private long _cacheHits;

    public SyncRunner(IServiceProvider services, CliConsole console, string youtubeResource = "youtube")
    {
        _services = services;
        _console = console;
        var meters = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this host's instruments: tests run several hosts in one process.
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == PacerTelemetryNames.Meter
                && instrument.Name is "pacer.http.calls" or "pacer.http.cache.hits")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? resource = null, outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "pacer.resource")
                    resource = tag.Value as string;
                else if (tag.Key == "pacer.outcome")
                    outcome = tag.Value as string;
            }
            if (resource != youtubeResource)
                return;
            if (instrument.Name == "pacer.http.cache.hits")
                Interlocked.Add(ref _cacheHits, value);
            else if (outcome != "refused") // refused before it was sent: not a call
                Interlocked.Add(ref _calls, value);
        });
        _listener.Start();
    }

    public async Task<SyncReport> RunAsync(IReadOnlyList<string> channels, IReadOnlyList<string> destinations, string title, CancellationToken cancellationToken)
    {
        var time = _services.GetRequiredService<TimeProvider>();
        var client = _services.GetRequiredService<IPacerClient>();
        var store = _services.GetRequiredService<IJobStore>();
        var progress = _services.GetRequiredService<ChannelSyncProgress>();
        var started = time.GetTimestamp();
        var callsBefore = Interlocked.Read(ref _calls);
        var hitsBefore = Interlocked.Read(ref _cacheHits);
        var quotaBefore = await QuotaAsync(cancellationToken);

        // Local files are on this machine: on a store other machines share, the whole run happens here.
        var queue = _services.GetRequiredService<ChannelSyncOptions>().QueueFor(destinations, store.Capabilities);
        var same = SyncKeys.SameSyncTag(channels, destinations);
        string run;
        long? runJobId;
        if (await UnfinishedRunAsync(store, same, queue, cancellationToken) is { } earlier)
        {
            (run, runJobId) = earlier;
            await ResumingAsync(store, progress, run, cancellationToken);
        }
        else
        {
            run = time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
            var args = new ChannelSyncArgs { Channels = channels, Destinations = destinations, Run = run };
            // Keyed by what it syncs: two of the same started at one moment (neither found the other above) get one run
            // job, the store's unique key deciding, and the second follows the first's run.
            var enqueued = await client.EnqueueAsync(ChannelSyncKinds.Run, JsonSerializer.Serialize(args, JsonSerializerOptions.Web),
                new EnqueueOptions { Tags = [SyncKeys.Tag(run), same], UniqueKey = $"{same}:run", Queue = queue }, cancellationToken);
            runJobId = enqueued.Id;
            if (enqueued.Existing && await store.GetAsync(enqueued.Id, cancellationToken) is { } existing && SyncKeys.RunOf(existing.Tags) is { } other)
            {
                run = other;
                await ResumingAsync(store, progress, run, cancellationToken);
            }
        }
        var live = progress.For(run);
        long Moves() => live.Resolved + live.Pages + live.ChannelsDone + live.VideosWritten + live.Duplicates;

        try
        {
            if (_console.IsRich)
            {
                await _console.Ansi.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var resolving = ctx.AddTask($"{title}: channels resolved", maxValue: Math.Max(channels.Count, 1));
                        var paging = ctx.AddTask("pages fetched", maxValue: 1);
                        var writing = ctx.AddTask("videos written", maxValue: 1);
                        await WaitAsync(store, runJobId, run, Moves, cancellationToken, waiting =>
                        {
                            resolving.Value = live.Channels < 0 ? 0 : live.Resolved;
                            resolving.Description = $"{title}: channels resolved {Math.Max(live.Resolved, 0)}/{channels.Count}" +
                                (waiting is null ? "" : $" ({Markup.Escape(waiting)})");
                            // Pages are known only as they come: the bar follows the channels done.
                            paging.MaxValue = Math.Max(live.Resolved, 1);
                            paging.Value = live.ChannelsDone;
                            paging.Description = $"pages fetched {Output.Number(live.Pages)} ({Output.Number(live.PagesFromCache)} unchanged)";
                            writing.MaxValue = Math.Max(live.VideosFound, 1);
                            writing.Value = live.VideosWritten + live.Duplicates;
                            writing.Description = $"videos written {Output.Number(live.VideosWritten)}";
                        });
                        resolving.StopTask();
                        paging.Value = paging.MaxValue;
                        writing.Value = writing.MaxValue;
                    });
            }
            else
            {
                var lines = new PlainProgress(time.GetUtcNow());
                await WaitAsync(store, runJobId, run, Moves, cancellationToken, waiting =>
                {
                    var line = $"{title}: channels resolved {Math.Max(live.Resolved, 0)}/{channels.Count}, pages fetched {live.Pages} ({live.PagesFromCache} unchanged), " +
                        $"channels done {live.ChannelsDone}, videos written {live.VideosWritten}" + (waiting is null ? "" : $"; {waiting}");
                    if (lines.ShouldWrite(line, time.GetUtcNow()))
                        _console.Out.WriteLine(line);
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C stops this sync, not only this process: left in the store, its jobs would run in the next process
            // that starts an engine on this database (another sync, a worker), writing to these destinations unasked.
            var (waiting, running) = await client.CancelManyAsync(new JobFilter { Tag = SyncKeys.Tag(run) }, CancellationToken.None);
            await _console.Error.WriteLineAsync(
                $"Cancelled the sync's {Output.Count(waiting + running, "unfinished job")}. Rows already written stay; " +
                "running the same command again syncs the rest.");
            throw;
        }

        var record = await store.GetEffectAsync(SyncKeys.Summary(run), cancellationToken)
            ?? throw CliException.Failure($"Sync run {run} finished without a summary; see 'pacer jobs list' for its jobs.");
        var summary = JsonSerializer.Deserialize<SyncSummary>(record.ResultJson!, JsonSerializerOptions.Web)!;
        var quotaAfter = await QuotaAsync(cancellationToken);
        long? spent = quotaBefore is { } before && quotaAfter is { } after && before.Resets == after.Resets ? after.Used - before.Used : quotaAfter?.Used;
        return new SyncReport(summary, Interlocked.Read(ref _calls) - callsBefore, Interlocked.Read(ref _cacheHits) - hitsBefore,
            spent, quotaAfter?.Left, quotaAfter?.Resets, time.GetElapsedTime(started));
    }

    /// <summary>
    /// An unfinished run of the same sync in this queue: one whose process was killed (this process's engine took its jobs
    /// back as it started), or one another process is running now. Its run job, if it is one this command started (a
    /// schedule's run job carries only the schedule's tag).
    /// </summary>
    private static async Task<(string Run, long? RunJobId)?> UnfinishedRunAsync(IJobStore store, string same, string? queue, CancellationToken cancellationToken)
    {
        var unfinished = await store.ListAsync(new JobQuery { Tag = same, States = JobStates.Unfinished, Limit = 100 }, cancellationToken);
        // Pinned to this machine's queue (local files on a store machines share), only a run there writes the same files.
        if (unfinished.FirstOrDefault(job => (queue is null || job.Queue == queue) && SyncKeys.RunOf(job.Tags) is not null) is not { } job)
            return null;
        var run = SyncKeys.RunOf(job.Tags)!;
        var runJobs = await store.ListAsync(new JobQuery { Tag = SyncKeys.Tag(run), Kind = ChannelSyncKinds.Run, Limit = 1 }, cancellationToken);
        return (run, runJobs is [{ } runJob] ? runJob.Id : null);
    }

    /// <summary>Says which run goes on and why it may wait, and starts the live figures from the run's plan.</summary>
    private async Task ResumingAsync(IJobStore store, ChannelSyncProgress progress, string run, CancellationToken cancellationToken)
    {
        if (await store.GetEffectAsync(SyncKeys.Plan(run), cancellationToken) is { ResultJson: { } json })
        {
            var done = await store.ListAsync(new JobQuery { Tag = SyncKeys.Tag(run), Kind = ChannelSyncKinds.Channel, States = [JobState.Completed], Limit = 100_000 }, cancellationToken);
            progress.Follow(run, JsonSerializer.Deserialize<SyncPlanRecord>(json, JsonSerializerOptions.Web)!, done.Count);
        }
        // This process's engine has started: jobs a stopped process of this machine held are available again already.
        // Jobs still running are another process's (another sync of the same, still at work), or of a process this
        // machine cannot judge; they go on there, or here once their leases run out.
        var self = _services.GetRequiredService<IPacerEngine>().WorkerId;
        var held = (await store.ListAsync(new JobQuery { Tag = SyncKeys.Tag(run), States = [JobState.Running], Limit = 1000 }, cancellationToken))
            .Where(job => job.LeaseOwner != self).ToArray();
        await _console.Out.WriteLineAsync(
            $"Resuming sync run {run}, which has not finished: this sync goes on with its unfinished jobs rather than paging every channel again." +
            (held.Length > 0 && held.Max(job => job.LeaseExpiresAt) is { } until
                ? $" {Output.Count(held.Length, "job")} of it {(held.Length == 1 ? "runs" : "run")} in another process ({string.Join(", ", held.Select(j => j.LeaseOwner).Distinct())}); " +
                  $"{(held.Length == 1 ? "it goes" : "they go")} on there, or here by {Output.Time(until)} if that process has stopped."
                : ""));
    }

    /// <summary>
    /// Waits until the run's finish job is final, calling <paramref name="tick"/> between looks with what one of the run's
    /// jobs waits for, if any ("waiting for youtube: quota used up until ...", or the error a step will be retried after):
    /// a sync held back for hours by a spent quota, a pause or a workbook open elsewhere says so instead of showing bars
    /// that do not move.
    /// </summary>
    /// <param name="progress">A number that grows with the run's progress. A job is parked (state waiting) only while its
    /// wait is long, and made available again shortly before its end; the reason stays shown until the run moves on.</param>
    private static async Task WaitAsync(IJobStore store, long? runJobId, string run, Func<long> progress, CancellationToken cancellationToken, Action<string?> tick)
    {
        var time = TimeProvider.System;
        // One look a tick: a job parked for a resource, or a step that failed and waits for its retry (its error often says
        // what the user can do: close the workbook).
        var held = new JobQuery { Tag = SyncKeys.Tag(run), States = [JobState.Waiting, JobState.Retryable], Limit = 1 };
        string? waiting = null;
        var progressThen = 0L;
        while (true)
        {
            tick(waiting);
            var reason = (await store.ListAsync(held, cancellationToken)) switch
            {
                [{ State: JobState.Waiting, WaitReason: { } wait }] => PacerCli.OneLine(wait),
                [{ State: JobState.Retryable, Errors: [.., var error] }] => $"retrying after: {PacerCli.OneLine(error.Message)}",
                _ => null,
            };
            if (reason is not null)
                (waiting, progressThen) = (reason, progress());
            else if (progress() != progressThen)
                waiting = null;
            var runJob = runJobId is { } id ? await store.GetAsync(id, cancellationToken) : null;
            if (runJob is { State: JobState.Discarded or JobState.Cancelled })
                throw CliException.Failure($"The sync could not start: {runJob.Errors.LastOrDefault()?.Message ?? runJob.State.ToWire()}");
            var finish = await store.ListAsync(new JobQuery { Tag = SyncKeys.Tag(run), Kind = ChannelSyncKinds.Finish, Limit = 1 }, cancellationToken);
            if (finish is [{ } job] && job.State.IsFinal())
            {
                tick(null);
                if (job.State != JobState.Completed)
                    throw CliException.Failure($"The sync's last step ended {job.State.ToWire()}: {job.Errors.LastOrDefault()?.Message ?? "no error recorded"}");
                return;
            }
            await Task.Delay(Refresh, time, cancellationToken);
        }
    }

    private readonly record struct Quota(long Used, long Left, DateTimeOffset? Resets);

    private async Task<Quota?> QuotaAsync(CancellationToken cancellationToken)
    {
        var resources = await _services.GetRequiredService<IPacerResources>().ListAsync(cancellationToken);
        return resources.FirstOrDefault(r => r.Name == "youtube") is { QuotaUsed: { } used, QuotaRemaining: { } left } youtube
            ? new Quota(used, left, youtube.QuotaResetsAt)
            : null;
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>
    /// A line per reason a channel failed: channels that failed alike (a revoked credential, a full destination: all of a
    /// thousand) share one, naming a few of them, rather than repeating the reason a thousand times.
    /// </summary>
    internal static IEnumerable<string> FailedLines(SyncSummary summary)
    {
        if (summary.Failures is not { } failures)
            return summary.Failed; // recorded before failures were kept in parts
        return failures.GroupBy(f => (f.Ended, f.Reason)).Select(alike => alike.Count() == 1
            ? alike.Single().ToString()
            : $"{Output.Number(alike.Count())} channels ({string.Join(", ", alike.Take(NamedPerReason).Select(f => f.Channel))}" +
              (alike.Count() > NamedPerReason ? $" and {Output.Number(alike.Count() - NamedPerReason)} more" : "") +
              $") {alike.Key.Ended}{(alike.Key.Reason is null ? "" : ": " + alike.Key.Reason)}");
    }

    private const int NamedPerReason = 3;

    /// <summary>Prints a report as a panel on a terminal, as aligned lines otherwise.</summary>
    /// <param name="credentials">Where each API's credential was read from (<see cref="CredentialNotes"/>), if said.</param>
    public static async Task WriteAsync(CliConsole console, string title, SyncReport report, IReadOnlyList<string>? credentials = null)
    {
        var s = report.Summary;
        var channels = $"{Output.Number(s.Channels)} ({Output.Number(s.ChannelsSynced)} synced"
            + (s.Unknown.Count > 0 ? $"; not found: {string.Join(", ", s.Unknown)}" : "")
            + (s.Failed.Count > 0 ? $"; {Output.Number(s.Failed.Count)} failed" : "") + ")";
        (string Label, string Value)[] lines =
        [
            ("channels", channels),
            .. FailedLines(s).Select(failure => ("failed", failure)),
            ("new videos", $"{Output.Number(s.NewVideos)} ({Output.Number(s.Written)} rows written to {s.Destinations.Count} destination{(s.Destinations.Count == 1 ? "" : "s")}, {Output.Number(s.Duplicates)} duplicates skipped)"),
            ("API calls", $"{Output.Number(report.Calls)} ({Output.Number(report.CacheHits)} answered 304, served from the cache)"),
            ("pages", $"{Output.Number(s.Pages)} ({Output.Number(s.PagesFromCache)} unchanged)"),
            ("quota", report.QuotaSpent is { } spent
                ? $"{Output.Number(spent)} units spent, {Output.Number(report.QuotaLeft ?? 0)} left, resets {Output.Time(report.QuotaResets)}"
                : "not tracked (no quota on the youtube resource)"),
            ("wall time", report.Wall.TotalSeconds.ToString("0.00 's'", CultureInfo.InvariantCulture)),
            ("written to", string.Join(", ", s.Destinations)),
            .. (credentials ?? []).Select(credential => ("credential", credential)),
        ];
        if (console.IsRich)
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var (label, value) in lines)
                grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(value));
            console.Ansi.Write(new Panel(grid).Header(title).RoundedBorder());
            return;
        }
        await console.Out.WriteLineAsync(title);
        foreach (var (label, value) in lines)
            await console.Out.WriteLineAsync($"  {(label + ":").PadRight(12)}{value}");
    }
}
