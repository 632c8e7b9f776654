using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators;
using Pacer.Sinks;

namespace Pacer.ChannelSync.Tests;

/// <summary>The recipe under trouble: used-up quota, rate-limited Sheets, failing servers.</summary>
public sealed class ChannelSyncTests
{
    // Midday UTC: the Pacific day (and the emulator's quota day) resets at 08:00 UTC tomorrow.
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task FirstSync_WritesEveryVideoOnce_WithTheColumnsOfTheIssue()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 5, MaxVideosPerChannel = 130, Seed = 3 });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);
        var csv = h.PathOf("videos.csv");

        var summary = await h.SyncAsync(youtube.Channels.Select(c => c.Id), csv);

        var expected = youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet();
        var rows = SyncHarness.ReadCsv(csv);
        Assert.Equal(expected, rows.Keys.ToHashSet());
        Assert.Equal((5, expected.Count, 0), (summary.ChannelsSynced, summary.Written, summary.Duplicates));
        Assert.Equal(
            "video_id,title,published_at,duration_seconds,duration_iso,views,likes,comments,channel_id,channel_title,url,first_seen_at",
            File.ReadLines(csv).First().TrimStart('\uFEFF'));
        var row = rows.Values.First();
        Assert.Equal($"https://www.youtube.com/watch?v={row[0]}", row[10]);
        Assert.Equal(youtube.Channels.Single(c => c.Id == row[8]).Title, row[9]);
        Assert.True(long.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.StartsWith("P", row[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkbookThatCannotBeWrittenAtTheEnd_IsRetried_AndTheRunFinishesOnceItCan()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 3, MaxVideosPerChannel = 80, Seed = 5 });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);
        var xlsx = h.PathOf("videos.xlsx");
        // Where the workbook is written before it replaces the old one: a directory there makes the write fail, as a
        // workbook held open by another program does.
        var blocker = Directory.CreateDirectory(xlsx + ".tmp");

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), xlsx);
        JobRecord? failed = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); failed is null; await Task.Delay(20))
        {
            Assert.True(DateTime.UtcNow < deadline, "the finish job never failed");
            failed = (await h.Store.ListAsync(new Storage.JobQuery { Tag = SyncKeys.Tag(run), Kind = ChannelSyncKinds.Finish, Limit = 1 }, CancellationToken.None))
                .SingleOrDefault(j => j.Errors.Count > 0);
        }
        blocker.Delete();
        var summary = await h.WaitAsync(run);

        Assert.Contains("Could not write", failed.Errors[0].Message, StringComparison.Ordinal);
        var expected = youtube.Channels.Sum(c => c.VideoCount);
        Assert.Equal((3, expected), (summary.ChannelsSynced, summary.Written));
        Assert.True(File.Exists(xlsx));
        Assert.False(File.Exists(xlsx + ".pending.csv"));
    }

    [Fact]
    public async Task FileChangedByAnotherWriterMidRun_IsReopenedAndWrittenAgain_WithoutPagingAgain_EveryVideoOnce_TheOtherRowKept()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
        {
            ChannelCount = 3,
            MinVideosPerChannel = 60,
            MaxVideosPerChannel = 120,
            Seed = 21,
            Latency = TimeSpan.FromMilliseconds(200),
        });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);
        var csv = h.PathOf("videos.csv");

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), csv);
        // Once the run has opened the file (before any channel has its rows), another writer puts a row in it.
        for (var deadline = DateTime.UtcNow.AddSeconds(30); await h.Store.GetEffectAsync(SyncKeys.Plan(run), CancellationToken.None) is null; await Task.Delay(10))
            Assert.True(DateTime.UtcNow < deadline, "the run never planned");
        var header = "video_id,title,published_at,duration_seconds,duration_iso,views,likes,comments,channel_id,channel_title,url,first_seen_at";
        await File.WriteAllTextAsync(csv, $"\uFEFF{header}\r\nother-writer,Someone else's row,,,,,,,,,,\r\n");
        var summary = await h.WaitAsync(run);

        var rows = SyncHarness.ReadCsv(csv); // fails on a duplicate id
        var expected = youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet();
        Assert.Equal(expected.Append("other-writer").ToHashSet(), rows.Keys.ToHashSet());
        Assert.Equal(3, summary.ChannelsSynced);
        Assert.Empty(summary.Failed);
        // The rows were written again to the file opened afresh, in the same attempt: no channel paged twice.
        var channelJobs = await h.Store.ListAsync(new Storage.JobQuery { Tag = SyncKeys.Tag(run), Kind = ChannelSyncKinds.Channel }, CancellationToken.None);
        Assert.All(channelJobs, job => Assert.True(job is { Attempt: 1, Errors.Count: 0 }, $"job {job.Id}: attempt {job.Attempt}, {job.Errors.FirstOrDefault()?.Message}"));
        Assert.Equal(youtube.Channels.Sum(c => (c.VideoCount + 49) / 50), youtube.Counters.Calls("playlistItems.list"));
    }

    [Fact]
    public async Task ARunsRecords_ExpireAfterAMonth_SoTheLedgerDoesNotGrowWithEveryRun()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2, MaxVideosPerChannel = 60, Seed = 3 });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), h.PathOf("videos.csv"));
        await h.WaitAsync(run);

        string[] keys = [SyncKeys.Plan(run), .. youtube.Channels.Select(c => SyncKeys.Channel(run, c.Id)), SyncKeys.Summary(run)];
        foreach (var key in keys)
        {
            var record = await h.Store.GetEffectAsync(key, CancellationToken.None);
            Assert.NotNull(record);
            Assert.Equal(record.DoneAt + TimeSpan.FromDays(30), record.ExpiresAt);
        }
    }

    /// <summary>8 channels of 60 to 150 videos (a first sync needs about 40 units) and Google granting a few units a day.</summary>
    private static Task<YouTubeEmulator> UnitsADayAsync(FakeTimeProvider time, int units = 30) => YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
    {
        ChannelCount = 8,
        MinVideosPerChannel = 60,
        MaxVideosPerChannel = 150,
        Seed = 5,
        TimeProvider = time,
        Quota = { DailyBudget = units },
    });

    /// <summary>
    /// Moves the clock until the server has refused calls for a used-up quota and every job waits for the reset (calls
    /// already on their way when the first refusal came back are refused too); returns the refusals.
    /// </summary>
    private static async Task<long> WhenRefusedAsync(YouTubeEmulator youtube, SyncHarness h, FakeTimeProvider time)
    {
        for (var i = 0; i < 500 && youtube.Counters.QuotaExceeded == 0; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }
        Assert.True(youtube.Counters.QuotaExceeded > 0, "the quota was never used up");
        for (var i = 0; i < 500 && (await h.Store.ListAsync(new Storage.JobQuery { States = [JobState.Running] }, CancellationToken.None)).Count > 0; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }
        return youtube.Counters.QuotaExceeded;
    }

    [Fact]
    public async Task QuotaUsedUpMidRun_StopsSpending_WaitsForTheReset_ThenFinishes_NoRowLostOrDoubled()
    {
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await UnitsADayAsync(time); // the run needs about 40: it runs out once, then finishes after the reset
        // The clock jumps minutes at a time below, faster than calls answer: leases long enough that none expires mid-call.
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, options: o => o.LeaseDuration = TimeSpan.FromHours(2));
        var csv = h.PathOf("videos.csv");

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), csv);
        var refusals = await WhenRefusedAsync(youtube, h, time);
        var resetUtc = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
        var callsAtExhaustion = youtube.Counters.Requests;
        while (time.GetUtcNow() < resetUtc - TimeSpan.FromMinutes(1))
        {
            var step = resetUtc - TimeSpan.FromMinutes(1) - time.GetUtcNow();
            time.Advance(step < TimeSpan.FromMinutes(20) ? step : TimeSpan.FromMinutes(20));
            await Task.Delay(20);
        }
        // Not one call was spent from then until the reset: the resource knew the quota was gone.
        Assert.Equal(callsAtExhaustion, youtube.Counters.Requests);
        var waiting = await h.Store.ListAsync(new Storage.JobQuery { States = [JobState.Waiting] }, CancellationToken.None);
        Assert.NotEmpty(waiting);
        Assert.All(waiting, j => Assert.Contains("youtube", j.WaitReason, StringComparison.Ordinal));

        var summary = await h.WaitCreepingAsync(run, within: TimeSpan.FromSeconds(120));

        Assert.True(time.GetUtcNow() >= resetUtc);
        var expected = youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet();
        Assert.Equal(expected, SyncHarness.ReadCsv(h.PathOf("videos.csv")).Keys.ToHashSet());
        Assert.Equal(8, summary.ChannelsSynced);
        Assert.Empty(summary.Failed);
        // The first refusal taught the resource what the server lets through in a day: from then on a channel starts
        // paging only if that can finish it, so the server never has to say no again, and no channel pages twice.
        Assert.Equal(refusals, youtube.Counters.QuotaExceeded);
    }

    [Fact]
    public async Task ServerGrantsFarLessThanConfigured_TheFirstRefusalTeachesIt_ThenNoChannelIsCutOffAgain()
    {
        var time = new FakeTimeProvider(Noon);
        // The server grants 12 units a day, Pacer is told 10,000 (the key is shared, say).
        await using var youtube = await UnitsADayAsync(time, units: 12);
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, options: o => o.LeaseDuration = TimeSpan.FromHours(2));

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), h.PathOf("videos.csv"));
        var first = await WhenRefusedAsync(youtube, h, time);
        var summary = await h.WaitCreepingAsync(run, within: TimeSpan.FromSeconds(120));

        Assert.Equal(8, summary.ChannelsSynced);
        var expected = youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet();
        Assert.Equal(expected, SyncHarness.ReadCsv(h.PathOf("videos.csv")).Keys.ToHashSet());
        // After the first day's refusals the server never had to say no again: a channel starts paging only if what the
        // server let through that day can finish it, and one held back reserves before it buys its first page again.
        Assert.Equal(first, youtube.Counters.QuotaExceeded);
        var resource = Assert.Single(await h.Store.ListResourcesAsync(CancellationToken.None), r => r.Name == "youtube");
        Assert.Contains("\"quotaObserved\":12", resource.State, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    // The cleaner deletes the channel jobs that finished on the first day before the run finishes on the second: the
    // summary still counts them, from their records.
    [InlineData(true)]
    public async Task TightQuota_AChannelStartsPagingOnlyIfTheQuotaCanFinishIt_NoPageBoughtTwice(bool finishedJobsKeptAnHourOnly)
    {
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await UnitsADayAsync(time);
        // The quota declared as Google grants it (here 30 a day): the run needs about 40 units, so two days.
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, youtubeOptions: o => o.Quota = "30/day@America/Los_Angeles",
            options: o => o.FinalizedRetention = finishedJobsKeptAnHourOnly ? TimeSpan.FromHours(1) : o.FinalizedRetention);

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), h.PathOf("videos.csv"));
        var summary = await h.WaitCreepingAsync(run, within: TimeSpan.FromSeconds(120));

        Assert.Equal(8, summary.ChannelsSynced);
        Assert.Empty(summary.Failed);
        if (finishedJobsKeptAnHourOnly)
        {
            var left = await h.Store.ListAsync(new Storage.JobQuery { Kind = ChannelSyncKinds.Channel, Limit = 100 }, CancellationToken.None);
            Assert.True(left.Count < 8, "the cleaner deleted no channel job before the run finished: the case was not tested");
        }
        var expected = youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet();
        Assert.Equal(expected, SyncHarness.ReadCsv(h.PathOf("videos.csv")).Keys.ToHashSet());
        // An uninterrupted run: one channels.list, and per channel each page and one lookup per page.
        var uninterrupted = 1 + youtube.Channels.Sum(c => 2 * ((c.VideoCount + 49) / 50));
        // A channel whose remaining pages the day's quota could not pay for stopped after its first page and fetched that
        // page again the next day: at most one unit more per channel, never a page beyond the first bought twice.
        Assert.InRange(youtube.Counters.UnitsSpent, uninterrupted, uninterrupted + 8);
        Assert.Equal(0, youtube.Counters.QuotaExceeded); // the server never had to say no
        Assert.True(time.GetUtcNow() < Noon.AddDays(3), $"took until {time.GetUtcNow():u}");
    }

    [Fact]
    public async Task RecordsAWorkerWasKilledWhileWriting_AreNotInDoubt_EveryChannelStillSyncs()
    {
        // A worker killed while it wrote a channel's record (what the channel did, or what it must reserve after a
        // refusal) must leave nothing the next attempt cannot settle: such a record is the run's own, not an effect
        // outside, and written whole or not at all. Here every record of the run was left started and never done, as
        // the ledger keeps an external effect's start; the quota (30 a day for a run of about 40) makes channels record
        // what they need to reserve too.
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await UnitsADayAsync(time);
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, youtubeOptions: o => o.Quota = "30/day@America/Los_Angeles");
        var run = "killed01";
        await LeaveStartedAsync(h.Store, time, youtube.Channels.SelectMany(c => new[] { SyncKeys.Channel(run, c.Id), SyncKeys.Reservation(run, c.Id) }));

        await h.StartRunAsync(run, youtube.Channels.Select(c => c.Id), h.PathOf("videos.csv"));
        var summary = await h.WaitCreepingAsync(run, within: TimeSpan.FromSeconds(120));

        Assert.Empty(summary.Failed);
        Assert.Equal(8, summary.ChannelsSynced);
        var expected = youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet();
        Assert.Equal(expected, SyncHarness.ReadCsv(h.PathOf("videos.csv")).Keys.ToHashSet());
        var reserved = await Task.WhenAll(youtube.Channels.Select(c => h.Store.GetEffectAsync(SyncKeys.Reservation(run, c.Id), CancellationToken.None)));
        Assert.Contains(reserved, r => r is { State: Storage.EffectState.Done }); // a channel was held back: the case was tested
    }

    [Fact]
    public void AFailedChannel_IsNamedWithHowItsJobEndedAndWhy_InOneLine()
    {
        var args = JsonSerializer.Serialize(new ChannelJobArgs { Run = "r", ChannelId = "UC1", Title = "Bold Atlas", UploadsPlaylistId = "UU1", Destinations = ["v.csv"] },
            JsonSerializerOptions.Web);
        JobRecord Job(JobState state, int attempt, params string[] messages) => new()
        {
            Id = 1, Kind = ChannelSyncKinds.Channel, Queue = "default", Priority = 0, Args = args, State = state, Attempt = attempt, MaxAttempts = 25,
            ScheduledAt = Noon, CreatedAt = Noon,
            Errors = [.. messages.Select((m, i) => new JobError(i + 1, Noon, "System.Exception", m, null))],
        };

        Assert.Equal("Bold Atlas (discarded after 2 attempts: the second line)", FinishHandler.Failure(Job(JobState.Discarded, 2, "the first", "the second\nline")).ToString());
        Assert.Equal("Bold Atlas (cancelled after 1 attempt)", FinishHandler.Failure(Job(JobState.Cancelled, 1)).ToString());
        var why = FinishHandler.Failure(Job(JobState.Discarded, 1, new string('x', 1000))).ToString();
        Assert.InRange(why.Length, 400, 450);
        Assert.EndsWith("...)", why, StringComparison.Ordinal);
    }

    /// <summary>Leaves effect records as a worker killed between starting and finishing them leaves them: started, never done.</summary>
    private static async Task LeaveStartedAsync(Storage.IJobStore store, TimeProvider time, IEnumerable<string> keys)
    {
        var now = time.GetUtcNow();
        // The killed worker's job, in a queue no worker serves; its records are all that matter.
        await store.InsertManyAsync(new Storage.InsertManyRequest(
            [new Storage.JobInsert { Kind = "killed", Args = "{}", Queue = "killed", ScheduledAt = now }], now), CancellationToken.None);
        var job = Assert.Single(await store.FetchAsync(new Storage.FetchRequest("killed", 1, now, TimeSpan.FromHours(1), "killed-worker"), CancellationToken.None));
        foreach (var key in keys)
        {
            var begin = await store.BeginEffectAsync(new Storage.EffectRequest(key, job.Job.Id, job.LeaseToken, 1, now), CancellationToken.None);
            Assert.Equal(Storage.EffectBeginOutcome.Started, begin.Outcome);
        }
        // Ended, as after its rescue: a job left running would count as work and keep the test's clock creeping.
        Assert.True(Assert.Single(await store.CompleteManyAsync([new Storage.JobCompletion(job.Job.Id, job.LeaseToken, Storage.CompletionKind.Completed, now)], CancellationToken.None)));
    }

    [Fact]
    public async Task IncrementalRun_AChannelWithAFewNewVideos_ReservesOnlyThePageAndLookupItNeeds()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2, MinVideosPerChannel = 200, MaxVideosPerChannel = 250, Seed = 8 });
        // The destination outlives the first harness (each has a folder of its own, deleted with it).
        var folder = Directory.CreateTempSubdirectory("pacer-sync-incremental-");
        var csv = Path.Combine(folder.FullName, "videos.csv");
        await using (var first = await SyncHarness.StartAsync(youtube.BaseAddress))
            await first.SyncAsync(youtube.Channels.Select(c => c.Id), csv);
        foreach (var channel in youtube.Channels)
            youtube.AddUploads(channel.Id, 3);
        // Seven units: one channels.list, and per channel its first page, one more page and one lookup. Reserving a whole
        // first sync's worth (9 or more per channel) would not fit, and the run would wait for tomorrow.
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, youtubeOptions: o => o.Quota = "7/day@America/Los_Angeles");
        var unitsBefore = youtube.Counters.UnitsSpent;

        var summary = await h.WaitAsync(await h.StartRunAsync(youtube.Channels.Select(c => c.Id), csv), within: TimeSpan.FromSeconds(30));

        Assert.Equal((2, 6), (summary.ChannelsSynced, summary.Written));
        Assert.Equal(7, youtube.Counters.UnitsSpent - unitsBefore);
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task ScheduledRun_WhileTheSchedulesPreviousRunIsUnfinished_IsSkipped_AndTheNextOneAfterItRuns()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
        {
            ChannelCount = 3,
            MaxVideosPerChannel = 120,
            Seed = 4,
            Latency = TimeSpan.FromMilliseconds(400), // the first run takes a few seconds
        });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);
        var csv = h.PathOf("videos.csv");
        var options = new EnqueueOptions { Tags = [SyncKeys.ScheduleTag("hourly")] }; // as the schedule enqueues each slot
        async Task<long> SlotAsync() => (await h.Client.EnqueueAsync(ChannelSyncKinds.Run, JsonSerializer.Serialize(
            new ChannelSyncArgs { Channels = [.. youtube.Channels.Select(c => c.Id)], Destinations = [csv], Schedule = "hourly" }, JsonSerializerOptions.Web), options)).Id;
        async Task<JobRecord> FinalAsync(long id)
        {
            for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(20))
            {
                var job = await h.Store.GetAsync(id, CancellationToken.None);
                if (job!.State.IsFinal())
                    return job;
                Assert.True(DateTime.UtcNow < deadline, $"job {id} did not finish");
            }
        }

        var first = await SlotAsync();
        Assert.Equal(JobState.Completed, (await FinalAsync(first)).State); // fanned out; its channels are still paging
        var second = await SlotAsync();
        Assert.Equal(JobState.Completed, (await FinalAsync(second)).State);

        // The second slot did nothing: no plan (so no channels.list), no job of its own, while the first was unfinished.
        var secondRun = second.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Null(await h.Store.GetEffectAsync(SyncKeys.Plan(secondRun), CancellationToken.None));
        Assert.Empty(await h.Store.ListAsync(new Storage.JobQuery { Tag = SyncKeys.Tag(secondRun) }, CancellationToken.None));
        Assert.Null(await h.Store.GetEffectAsync(SyncKeys.Summary(first.ToString(System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None));
        await h.WaitAsync(first.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The summary is recorded by the finish job's handler; its completion is written just after, in the next batch.
        // Until then the run is unfinished, and a slot that came then would rightly be skipped.
        for (var deadline = DateTime.UtcNow.AddSeconds(30); (await h.Store.ListAsync(new Storage.JobQuery
            {
                Tag = SyncKeys.ScheduleTag("hourly"),
                States = [JobState.Scheduled, JobState.Available, JobState.Waiting, JobState.Running, JobState.Retryable],
            }, CancellationToken.None)).Count > 0; await Task.Delay(20))
            Assert.True(DateTime.UtcNow < deadline, "the first run's jobs never finished");

        // Once the first run is done, the next slot runs.
        var third = await SlotAsync();
        var summary = await h.WaitAsync(third.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, summary.ChannelsSynced);
        Assert.Equal(youtube.Channels.Sum(c => c.VideoCount), SyncHarness.ReadCsv(csv).Count);
    }

    [Fact]
    public async Task ServerErrorsOnOneCallInFive_TheSyncStillCompletes_EveryVideoOnce()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
        {
            ChannelCount = 6,
            MaxVideosPerChannel = 160,
            Seed = 9,
            Faults = { ServerErrorRate = 0.2 },
        });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress);
        var csv = h.PathOf("videos.csv");

        var summary = await h.SyncAsync(youtube.Channels.Select(c => c.Id), csv);

        Assert.True(youtube.Counters.InjectedServerErrors > 0);
        Assert.Empty(summary.Failed);
        Assert.Equal(youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).ToHashSet(), SyncHarness.ReadCsv(csv).Keys.ToHashSet());
    }

    [Fact]
    public async Task SheetsAnswering429_ArePacedNotDropped_EveryVideoOnceInTheTab()
    {
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 6, MaxVideosPerChannel = 80, Seed = 13, TimeProvider = time });
        await using var sheets = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions
        {
            TimeProvider = time,
            WriteRequestsPerMinutePerUser = 2,
            BearerTokens = { "test-token" },
            SpreadsheetIds = { "sheet1" },
        });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, sheets.BaseAddress);

        // Small batches, so the rows need more appends than Sheets allows in a minute.
        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), "sheets:sheet1/Videos");
        var summary = await h.WaitAsync(run, step: TimeSpan.FromSeconds(1), within: TimeSpan.FromSeconds(90));

        Assert.Empty(summary.Failed);
        var ids = sheets.GetValues("sheet1", "'Videos'!A2:A").Select(r => r[0]).ToArray();
        Assert.Equal(youtube.Channels.SelectMany(c => youtube.GetUploads(c.Id)).Order(), ids.Order());
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public async Task AFullSpreadsheet_FailsTheChannelsWhoseRowsDoNotFit_AtOnce_SayingWhatToDo_AndNoRowTwice()
    {
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 6, MaxVideosPerChannel = 80, Seed = 13, TimeProvider = time });
        await using var sheets = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions
        {
            TimeProvider = time,
            BearerTokens = { "test-token" },
            SpreadsheetIds = { "sheet1" },
            DefaultRowCount = 384_500, // Sheet1: 9,997,000 of Google's 10,000,000 cells; room for 200 rows or so
        });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, sheets.BaseAddress);

        var run = await h.StartRunAsync(youtube.Channels.Select(c => c.Id), "sheets:sheet1/Videos");
        var summary = await h.WaitAsync(run, step: TimeSpan.FromSeconds(1));

        Assert.NotEmpty(summary.Failed);
        Assert.Equal(summary.Failed, summary.Failures!.Select(f => f.ToString())); // the same, in parts
        Assert.All(summary.Failed, failed =>
        {
            Assert.Contains("discarded after 1 attempt", failed, StringComparison.Ordinal); // not retried against a full sheet
            Assert.Contains("above the limit of 10000000 cells", failed, StringComparison.Ordinal);
            Assert.EndsWith("or write to a new spreadsheet.)", failed, StringComparison.Ordinal); // the fix, not cut off
        });
        var ids = sheets.GetValues("sheet1", "'Videos'!A2:A").Select(r => r[0]).ToArray();
        Assert.Equal(summary.Written, ids.Length);
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public async Task AFullDestination_FailsTheChannelsWhoseRowsDoNotFit_AtOnce_NotRetried()
    {
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 4, MaxVideosPerChannel = 60, Seed = 21, TimeProvider = time });
        var folder = Path.Combine(Path.GetTempPath(), "pacer-sync-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var csv = Path.Combine(folder, "videos.csv");
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, store: p =>
        {
            p.UseSqlite(Path.Combine(folder, "pacer.db"));
            // A destination that takes 50 rows, as a workbook takes Excel's 1,048,576.
            p.Services.AddSingleton<ITableSinkFactory>(new FullAfter(50));
        });

        var summary = await h.WaitAsync(await h.StartRunAsync(youtube.Channels.Select(c => c.Id), csv), step: TimeSpan.FromSeconds(1));

        Assert.NotEmpty(summary.Failed);
        Assert.All(summary.Failed, failed => Assert.Contains("discarded after 1 attempt: the destination is full", failed, StringComparison.Ordinal));
        var held = File.Exists(csv) ? SyncHarness.ReadCsv(csv).Count : 0; // batches that fitted, if any did
        Assert.InRange(held, 0, 50);
        Assert.Equal(held, summary.Written);
    }

    /// <summary>CSV files that refuse a write which would take them past a number of rows.</summary>
    private sealed class FullAfter(int capacity) : ITableSinkFactory
    {
        public ITableSink Create(string destination) => new Sink(TableSinks.Csv(destination), capacity);

        private sealed class Sink(ITableSink csv, int capacity) : ITableSink
        {
            private int _rows;

            public string Description => csv.Description;

            public async Task<IReadOnlySet<string>> OpenAsync(TableSchema schema, CancellationToken cancellationToken)
            {
                var keys = await csv.OpenAsync(schema, cancellationToken);
                _rows = keys.Count;
                return keys;
            }

            public async Task<SinkWriteResult> WriteAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
            {
                if (_rows + rows.Count > capacity)
                    throw new SinkFullException("the destination is full");
                var written = await csv.WriteAsync(rows, cancellationToken);
                _rows += written.Written;
                return written;
            }

            public Task CompleteAsync(CancellationToken cancellationToken) => csv.CompleteAsync(cancellationToken);

            public ValueTask DisposeAsync() => csv.DisposeAsync();
        }
    }

    [Fact]
    public async Task ASheetThisProcessOpenedBeforeAnotherWroteToIt_IsReadAgain_NoVideoWrittenTwice()
    {
        // Two workers on one database, a Sheets tab the runs of a schedule write to: a worker keeps the tab open after a
        // run (the other worker ran its finish job), while the other worker's next run writes new uploads there. The
        // first worker's next run took those for new and appended them again: a sheet cannot refuse a row twice, as
        // a SQLite table does, nor say it changed, as a file does.
        var time = new FakeTimeProvider(Noon);
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 2, MaxVideosPerChannel = 60, Seed = 17, TimeProvider = time });
        await using var sheets = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions { BearerTokens = { "test-token" }, SpreadsheetIds = { "sheet1" }, TimeProvider = time });
        await using var h = await SyncHarness.StartAsync(youtube.BaseAddress, time, sheets.BaseAddress);
        var channels = youtube.Channels.Select(c => c.Id).ToArray();
        const string Tab = "sheets:sheet1/Videos";
        await h.WaitAsync(await h.StartRunAsync(channels, Tab), step: TimeSpan.FromSeconds(1));

        // Open here, as after a run whose channel jobs this worker ran and whose finish job the other one did.
        // (Its read of the tab waits for a permit of the sheets resource, on the fake clock.)
        var opening = h.Host.Services.GetRequiredService<Destinations>().OpenAsync(Tab, CancellationToken.None);
        for (var i = 0; i < 600 && !opening.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
        await opening.WaitAsync(TimeSpan.FromSeconds(10));
        // The other worker's run, which wrote the new uploads' rows.
        var added = youtube.AddUploads(channels[0], 3);
        using (var http = new HttpClient { BaseAddress = sheets.BaseAddress })
        {
            using var append = new HttpRequestMessage(HttpMethod.Post, "v4/spreadsheets/sheet1/values/'Videos'!A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS")
            {
                Content = JsonContent.Create(new { values = added.Select(id => new[] { id }) }),
            };
            append.Headers.Authorization = new("Bearer", "test-token");
            (await http.SendAsync(append)).EnsureSuccessStatusCode();
        }
        time.Advance(TimeSpan.FromSeconds(1));

        var summary = await h.WaitAsync(await h.StartRunAsync(channels, Tab), step: TimeSpan.FromSeconds(1));

        Assert.Equal(0, summary.Written);
        var ids = sheets.GetValues("sheet1", "'Videos'!A2:A").Select(r => r[0]).ToArray();
        Assert.Equal(channels.SelectMany(youtube.GetUploads).Order(), ids.Order());
    }
}
