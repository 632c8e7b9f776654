using System.Text.Json;
using Microsoft.Extensions.Logging;
using Pacer.Sinks;
using Pacer.Storage;

namespace Pacer.ChannelSync;

/// <summary>The job kinds of the recipe.</summary>
public static class ChannelSyncKinds
{
    /// <summary>Starts a run: resolves the channels and fans out one channel job each, plus the finish job.</summary>
    public const string Run = "channel-sync";

    /// <summary>One channel: its new uploads into every destination of the run.</summary>
    public const string Channel = "channel-sync.channel";

    /// <summary>Waits for the run's channel jobs, then completes the destinations (formatting, final files).</summary>
    public const string Finish = "channel-sync.finish";
}

/// <summary>
/// Starts a run. Resolving costs 1 unit per 50 channel ids and 1 per handle or username. The channel jobs and the
/// finish job are enqueued in the store's transaction that records the plan, so a retry after a crash neither loses
/// nor repeats the fan-out.
/// </summary>
internal sealed partial class RunHandler(IChannelSource youtube, IPacerClient client, IJobStore store, Destinations destinations, ChannelSyncProgress progress, ChannelSyncOptions options, ILoggerFactory loggers)
    : IJobHandler<ChannelSyncArgs>
{
    private readonly ILogger _logger = loggers.CreateLogger("Pacer.ChannelSync");

    public async Task HandleAsync(ChannelSyncArgs args, JobContext context)
    {
        var run = args.Run ?? context.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var refs = args.Channels.Select(c => ChannelRef.TryParse(c, out var r) ? r : throw new PermanentJobException($"'{c}' is not a channel.")).ToArray();
        if (await context.Effects.GetAsync(SyncKeys.Plan(run)) is { ResultJson: { } done })
        {
            // A retry after the fan-out was recorded: nothing left to do.
            var existing = JsonSerializer.Deserialize<SyncPlanRecord>(done, JsonSerializerOptions.Web)!;
            progress.For(run).Planned(existing.Channels, existing.Channels - existing.Unknown.Count);
            return;
        }
        var scheduleTag = args.Schedule is { } schedule ? SyncKeys.ScheduleTag(schedule) : null;
        if (scheduleTag is not null && await EarlierRunUnfinishedAsync(scheduleTag, context) is { } earlier)
        {
            LogSkipped(_logger, args.Schedule!, run, earlier.Id, earlier.Kind);
            return;
        }
        // Every destination opened before any quota is spent: one that cannot be read (another file's columns, a damaged
        // workbook, a spreadsheet the credential cannot see) fails the run here, in its own words, instead of every
        // channel job after the channels were resolved. It stays open for the channel jobs of this process, knowing what
        // earlier runs wrote (they had finished when this attempt began: a schedule's runs never overlap).
        var plannedAt = context.Job.AttemptedAt ?? context.Job.CreatedAt;
        foreach (var destination in args.Destinations)
            await destinations.OpenForJobAsync(destination, plannedAt, context.CancellationToken);
        {
            var resolved = await youtube.ResolveAsync(refs, context.CancellationToken);
            var record = await context.Effects.RunInStoreTransactionAsync(SyncKeys.Plan(run), async (transaction, ct) =>
            {
                var same = SyncKeys.SameSyncTag(args.Channels, args.Destinations);
                string[] tags = scheduleTag is null ? [SyncKeys.Tag(run), same] : [SyncKeys.Tag(run), same, scheduleTag];
                // Local files are on this machine: on a store other machines share, the run's jobs stay here.
                var queue = options.QueueFor(args.Destinations, store.Capabilities);
                var jobs = resolved.Found.Select(channel => new EnqueueRequest(ChannelSyncKinds.Channel, JsonSerializer.Serialize(new ChannelJobArgs
                {
                    Run = run,
                    ChannelId = channel.ChannelId,
                    Title = channel.Title,
                    UploadsPlaylistId = channel.UploadsPlaylistId,
                    Destinations = args.Destinations,
                    PlannedAt = plannedAt,
                }, JsonSerializerOptions.Web), new EnqueueOptions { Tags = tags, UniqueKey = $"{run}:{channel.ChannelId}", Queue = queue }))
                .Append(new EnqueueRequest(ChannelSyncKinds.Finish, JsonSerializer.Serialize(new FinishJobArgs { Run = run, Destinations = args.Destinations }, JsonSerializerOptions.Web),
                    new EnqueueOptions { Tags = tags, UniqueKey = $"{run}:finish", Queue = queue }))
                .ToArray();
                var results = await client.EnqueueManyAsync(jobs, transaction, ct);
                return new SyncPlanRecord([.. resolved.Unknown.Select(u => u.Text)], [.. results.Take(results.Count - 1).Select(r => r.Id)], refs.Length,
                    [.. resolved.Found.Select(channel => channel.ChannelId)]);
            }, SyncKeys.KeptFor);
            progress.For(run).Planned(refs.Length, refs.Length - record.Unknown.Count);
            LogPlanned(_logger, run, record.ChannelJobs.Count, record.Unknown.Count);
            foreach (var unknown in record.Unknown)
                LogUnknown(_logger, run, unknown);
        }
    }

    /// <summary>A job of an earlier run of the schedule that is not finished (this run's own job aside), if any.</summary>
    private async Task<JobRecord?> EarlierRunUnfinishedAsync(string scheduleTag, JobContext context)
    {
        var unfinished = await store.ListAsync(new JobQuery
        {
            Tag = scheduleTag,
            States = JobStates.Unfinished,
            Limit = 2,
        }, context.CancellationToken);
        return unfinished.FirstOrDefault(job => job.Id != context.JobId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync schedule {Schedule}: run {Run} skipped, an earlier run is not finished (job {JobId}, {Kind})")]
    private static partial void LogSkipped(ILogger logger, string schedule, string run, long jobId, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync {Run}: {Channels} channels to sync, {UnknownCount} not found")]
    private static partial void LogPlanned(ILogger logger, string run, int channels, int unknownCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync {Run}: channel {Channel} was not found on YouTube; the others sync")]
    private static partial void LogUnknown(ILogger logger, string run, string channel);
}

/// <summary>
/// One channel: pages its uploads newest first until a page holds only videos every destination already has, looks the
/// new ones up 50 at a time (while paging on), and writes them oldest first. Writing oldest first keeps what a
/// destination holds of a channel a run of its oldest videos, so a crash mid-write can never leave a gap that a later
/// run would stop short of: the next run pages until it reaches what was written.
/// </summary>
internal sealed class ChannelHandler(IChannelSource youtube, Destinations destinations, ChannelSyncProgress progress, ChannelQuota quota, TimeProvider time)
    : IJobHandler<ChannelJobArgs>
{
    private const int VideosPerCall = 50;

    public async Task HandleAsync(ChannelJobArgs args, JobContext context)
    {
        var ct = context.CancellationToken;
        var runProgress = progress.For(args.Run);
        // What this job must find written: earlier runs' rows (written before the run was planned), and those of this
        // job's failed attempt, perhaps in another process (written before that failure was recorded). A destination this
        // process opened before then may not know them, and would take this channel's videos for new and write them twice.
        // Times from two machines' clocks: their skew, if any, is the margin.
        var writtenBefore = args.PlannedAt ?? context.Job.CreatedAt;
        if (context.Job.Errors is [.., var last] && last.At > writtenBefore)
            writtenBefore = last.At;
        var open = new OpenDestination[args.Destinations.Count];
        for (var i = 0; i < open.Length; i++)
            open[i] = await destinations.OpenForJobAsync(args.Destinations[i], writtenBefore, ct);

        object firstSeen = time.GetUtcNow();
        var channel = new ResolvedChannelInfo(args.ChannelId, args.Title);
        // New videos, newest first, in chunks of 50 that become rows as soon as their details arrive (asked for while
        // the next page is fetched): the job holds each video once, as its row, not as page item, details and row.
        var unasked = new List<UploadItem>(VideosPerCall);
        var chunks = new List<Task<TableRow[]>>();
        var found = 0;
        string? pageToken = null;
        int pages = 0, fromCache = 0;
        // A job the quota held back before knows what it needs: it reserves that before it buys the first page again.
        var reservationKey = SyncKeys.Reservation(args.Run, args.ChannelId);
        var reserved = false;
        if (await context.Effects.GetAsync(reservationKey) is { ResultJson: { } needed })
        {
            await quota.ReserveAsync(int.Parse(needed, System.Globalization.CultureInfo.InvariantCulture), ct);
            reserved = true;
        }
        do
        {
            var page = await youtube.GetUploadsPageAsync(args.UploadsPlaylistId, pageToken, ct);
            pages++;
            fromCache += page.FromCache ? 1 : 0;
            var fresh = pages == 1 && !reserved && page.NextPageToken is not null ? page.Items.Count(item => !HeldByAll(open, item.VideoId)) : 0;
            if (fresh > 0)
            {
                // More pages to come: the quota must pay for all of them (and their lookups) before any is asked for, or
                // the job would stop halfway when it runs out and page again from the first after the reset. Unspent
                // units go back when the job ends. Held back, the job remembers what it needs for its next try. A first page
                // that also holds known videos is the last page with new ones: one more page and one lookup remain.
                var calls = fresh < page.Items.Count ? 2 : ChannelQuota.RemainingCalls(page.TotalResults);
                try
                {
                    await quota.ReserveAsync(calls, ct);
                }
                catch (ResourceUnavailableException)
                {
                    await context.Effects.RecordAsync(reservationKey, calls, SyncKeys.KeptFor);
                    throw;
                }
                reserved = true;
            }
            runProgress.Page(page.FromCache);
            var before = found;
            foreach (var item in page.Items)
            {
                if (HeldByAll(open, item.VideoId))
                    continue;
                found++;
                unasked.Add(item);
                if (unasked.Count == VideosPerCall)
                {
                    chunks.Add(RowsAsync([.. unasked], channel, firstSeen, ct));
                    unasked.Clear();
                }
            }
            if (found == before)
                break;
            pageToken = page.NextPageToken;
        }
        while (pageToken is not null);
        if (unasked.Count > 0)
            chunks.Add(RowsAsync([.. unasked], channel, firstSeen, ct));
        runProgress.Found(found);

        // Oldest first, in one write: should the job stop halfway, the destination holds none of this channel's new
        // videos or all of them, so the next run's "a page of known videos ends the paging" never skips a gap.
        var rows = (await Task.WhenAll(chunks)).SelectMany(chunk => chunk).Reverse().ToArray();

        var total = new SinkWriteResult(0, 0);
        if (rows.Length > 0)
        {
            // Rows go out only while this attempt surely holds its lease, a third of the lease before its end (one missed
            // heartbeat's worth) to spare for the write itself. A worker paused past its lease (a machine that slept)
            // would otherwise append them after the worker that took the job over read the sheet back and wrote them too.
            var spare = TimeSpan.FromTicks(Math.Max(0, (context.LeaseExpiresAt - time.GetUtcNow()).Ticks / 3));
            DateTimeOffset WriteBy() => context.LeaseExpiresAt - spare;
            for (var i = 0; i < open.Length; i++)
                total += await WriteAsync(open, i, args.Destinations[i], rows, WriteBy, ct);
        }
        runProgress.Wrote(total.Written, total.Skipped);
        runProgress.ChannelDone();
        // What the channel did, recorded with its "done" in one write: a worker killed meanwhile leaves no record in doubt
        // for the next attempt to trip over after the rows were written.
        await context.Effects.RecordAsync(SyncKeys.Channel(args.Run, args.ChannelId),
            new ChannelRecord(args.ChannelId, args.Title, pages, fromCache, found, total.Written, total.Skipped), SyncKeys.KeptFor);
    }

    /// <summary>
    /// Writes the rows to one destination. What the sink knows of it may be out of date (another process wrote to the
    /// file: a <see cref="SinkException"/>), or another job closed it for that reason (<see cref="ObjectDisposedException"/>).
    /// Either way these rows were not written: the destination is opened afresh, reading back what it holds now, and the
    /// rows written once more (any another writer added meanwhile are skipped), rather than failing the job and paging the
    /// channel again. A second failure fails the job, and closes the destination so its retry opens it afresh too.
    /// </summary>
    private async Task<SinkWriteResult> WriteAsync(
        OpenDestination[] open, int index, string name, TableRow[] rows, Func<DateTimeOffset> writeBy, CancellationToken cancellationToken)
    {
        for (var tries = 1; ; tries++)
        {
            var destination = open[index];
            try
            {
                return await destination.WriteAsync(rows, writeBy, cancellationToken);
            }
            catch (SinkFullException ex)
            {
                // Not written, and never will be there: the channel fails at once, its rows not fetched again for nothing.
                throw new PermanentJobException(ex.Message, ex);
            }
            catch (SinkDeadlineException ex)
            {
                // Not written again here: the job may be another worker's by now, and that worker writes them.
                throw new LeaseLostException($"This attempt's lease may have run out before its rows were written to {name} (was this process paused?); they are left to the job's next attempt.", ex);
            }
            catch (Exception ex) when (ex is SinkException or ObjectDisposedException)
            {
                await destinations.CloseAsync(destination);
                if (tries > 1)
                    throw;
                open[index] = await destinations.OpenForJobAsync(name, DateTimeOffset.MinValue, cancellationToken);
            }
        }
    }

    private async Task<TableRow[]> RowsAsync(UploadItem[] items, ResolvedChannelInfo channel, object firstSeen, CancellationToken cancellationToken)
    {
        var details = await youtube.GetVideosAsync([.. items.Select(item => item.VideoId)], cancellationToken);
        var byId = details.ToDictionary(video => video.VideoId, StringComparer.Ordinal);
        return [.. items.Select(item => VideoTable.Row(item, byId.GetValueOrDefault(item.VideoId), channel, firstSeen))];
    }

    private static bool HeldByAll(OpenDestination[] open, string videoId)
    {
        foreach (var destination in open)
        {
            if (!destination.Contains(videoId))
                return false;
        }
        return true;
    }
}

/// <summary>
/// Finishes a run once every channel job of it is final: completes each destination once (formatting, the XLSX file)
/// and records the run's summary. Until then it looks again shortly, without using an attempt.
/// </summary>
internal sealed partial class FinishHandler(IPacerClient client, Destinations destinations, ILoggerFactory loggers) : IJobHandler<FinishJobArgs>
{
    internal static readonly TimeSpan LookAgain = TimeSpan.FromMilliseconds(100);

    private readonly ILogger _logger = loggers.CreateLogger("Pacer.ChannelSync");

    public async Task HandleAsync(FinishJobArgs args, JobContext context)
    {
        var planRecord = await context.Effects.GetAsync(SyncKeys.Plan(args.Run));
        if (planRecord?.ResultJson is null)
            throw new PermanentJobException($"Sync {args.Run} has no plan; the finish job runs only after the run job fanned out.");
        var plan = JsonSerializer.Deserialize<SyncPlanRecord>(planRecord.ResultJson, JsonSerializerOptions.Web)!;

        // Each channel's id and its job, or null where the cleaner deleted the job: it ended longer ago than the
        // retention, in a run a used-up quota held back for days. Its record (kept longer) still says what it did.
        var channels = new List<(string ChannelId, JobRecord? Job)>(plan.ChannelJobs.Count);
        for (var i = 0; i < plan.ChannelJobs.Count; i++)
        {
            var job = await client.GetAsync(plan.ChannelJobs[i], context.CancellationToken);
            if (job is not null && !job.State.IsFinal())
                throw new JobSnoozeException(LookAgain);
            var channelId = job is not null ? JsonSerializer.Deserialize<ChannelJobArgs>(job.Args, JsonSerializerOptions.Web)!.ChannelId : plan.ChannelIds?[i];
            if (channelId is not null)
                channels.Add((channelId, job));
        }

        // Completing a destination again is safe (it merges what is staged; its keys stop a row going in twice), so an
        // attempt that failed midway (a workbook open in another program) is not in doubt: the next one runs it again.
        await context.Effects.RunAsync(SyncKeys.Summary(args.Run), async ct =>
        {
            foreach (var destination in args.Destinations)
                await destinations.CompleteAsync(destination, ct);
            var records = new List<ChannelRecord>();
            var failed = new List<ChannelFailure>();
            foreach (var (channelId, job) in channels)
            {
                var record = await context.Effects.GetAsync(SyncKeys.Channel(args.Run, channelId)) is { ResultJson: { } json }
                    ? JsonSerializer.Deserialize<ChannelRecord>(json, JsonSerializerOptions.Web)!
                    : null;
                if (record is not null)
                    records.Add(record);
                // A channel job records what it did as its last step, so a deleted job without a record did not complete.
                if (job is not null && job.State != JobState.Completed)
                    failed.Add(Failure(job));
                else if (job is null && record is null)
                    failed.Add(new ChannelFailure(channelId, "did not complete; its job ended too long ago to say how", null));
            }
            var summary = new SyncSummary(args.Run, plan.Channels, records.Count, plan.Unknown, [.. failed.Select(f => f.ToString())],
                records.Sum(r => r.Pages), records.Sum(r => r.PagesFromCache), records.Sum(r => r.NewVideos),
                records.Sum(r => r.Written), records.Sum(r => r.Duplicates), args.Destinations)
            {
                Failures = failed,
            };
            LogFinished(_logger, args.Run, summary.ChannelsSynced, summary.Written, summary.Duplicates);
            return summary;
        }, (_, _) => Task.FromResult(Reconciliation<SyncSummary>.NotDone()), SyncKeys.KeptFor);
    }

    /// <summary>
    /// A channel whose job did not complete, as the summary names it: its title, how the job ended and, in one line, why,
    /// so a failed sync says what to fix without a look at the job.
    /// </summary>
    internal static ChannelFailure Failure(JobRecord job)
    {
        var title = JsonSerializer.Deserialize<ChannelJobArgs>(job.Args, JsonSerializerOptions.Web)!.Title;
        var ended = $"{job.State.ToWire()} after {job.Attempt} attempt{(job.Attempt == 1 ? "" : "s")}";
        if (job.Errors.Count == 0)
            return new ChannelFailure(title, ended, null);
        var why = job.Errors[^1].Message.ReplaceLineEndings(" ");
        return new ChannelFailure(title, ended, why.Length <= MaxReason ? why : why[..(MaxReason - 3)] + "...");
    }

    // Enough for Google's message and the client's hint after it (a full spreadsheet's is 330); a stack is not a reason.
    private const int MaxReason = 400;

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync {Run} finished: {Channels} channels, {Written} new rows, {Duplicates} duplicates skipped")]
    private static partial void LogFinished(ILogger logger, string run, int channels, int written, int duplicates);
}
