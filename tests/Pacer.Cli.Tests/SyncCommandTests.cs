using Microsoft.Extensions.DependencyInjection;
using Pacer.Emulators;

namespace Pacer.Cli.Tests;

/// <summary><c>pacer sync</c> against a local YouTube emulator, and its bad input.</summary>
public sealed class SyncCommandTests : IAsyncLifetime
{
    private readonly CliRun _cli = new();
    private YouTubeEmulator _youtube = null!;
    private string _config = null!;

    public async Task InitializeAsync()
    {
        _youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 6, MaxVideosPerChannel = 120, Seed = 11 });
        // The key through --config, not the environment: in-process tests share one environment.
        _config = await _cli.ConfigAsync("""{"YouTube":{"ApiKey":"test-key"}}""");
    }

    public async Task DisposeAsync()
    {
        await _youtube.DisposeAsync();
        _cli.Dispose();
    }

    private string Channels(int count, params string[] extra) => string.Join(',', _youtube.Channels.Take(count).Select(c => c.Id).Concat(extra));

    private Task<CliResult> SyncAsync(params string[] args) => SyncAsync(CancellationToken.None, args);

    // A schedule takes no --api-base (its worker has the address in its config).
    private Task<CliResult> SyncAsync(CancellationToken cancellationToken, params string[] args) =>
        _cli.RunAsync(cancellationToken, [.. new[] { "sync", "--config", _config }, .. args.Contains("--every") ? [] : new[] { "--api-base", _youtube.BaseAddress.ToString() }, .. args]);

    [Fact]
    public async Task Sync_WritesEveryVideoOnce_ThenOnlyNewOnes_AndNamesUnknownChannels()
    {
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        var expected = _youtube.Channels.Take(5).Sum(c => c.VideoCount);

        var first = await SyncAsync("--channels", Channels(5, "@nobody-here"), "--to", csv);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("channels:   6 (5 synced; not found: @nobody-here)", first.Out, StringComparison.Ordinal);
        Assert.Contains($"new videos: {expected:N0} ({expected:N0} rows written to 1 destination", first.Out, StringComparison.Ordinal);
        var ids = (await File.ReadAllLinesAsync(csv)).Skip(1).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(expected, ids.Length);
        Assert.Equal(expected, ids.Distinct().Count());

        _youtube.AddUploads(_youtube.Channels[0].Id, 4);
        var second = await SyncAsync("--channels", Channels(5), "--to", csv);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("new videos: 4 (4 rows written", second.Out, StringComparison.Ordinal);
        Assert.Equal(expected + 4, (await File.ReadAllLinesAsync(csv)).Length - 1);
        // One channels.list, two pages of the changed channel, one page (304) of each unchanged one, one videos.list.
        Assert.True(second.Out.Contains("API calls:  8 (4 answered 304", StringComparison.Ordinal), second.Out);
    }

    [Fact]
    public async Task Sync_Summary_SaysWhereTheCredentialWasRead_WhateverTheLogLevel_NeverItsValue()
    {
        var config = await _cli.ConfigAsync("""{"YouTube":{"ApiKey":"test-key-never-shown"},"Logging":{"LogLevel":{"Default":"Warning"}}}""", "quiet.json");

        var result = await _cli.RunAsync("sync", "--config", config, "--api-base", _youtube.BaseAddress.ToString(),
            "--channels", Channels(1), "--to", Path.Combine(_cli.Folder, "where.csv"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("  credential: YouTube API key from the configuration key YouTube:ApiKey\n", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("test-key-never-shown", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_WithAnAuthorizedUserCredentialInTheConfig_AsksItsTokenUriForAnAccessToken_AndNeverShowsIt()
    {
        // Written as an object, as it would sit in appsettings.json; PACER_YOUTUBE_AUTHORIZED_USER takes the same JSON as text.
        var config = await _cli.ConfigAsync($$"""
            {"YouTube": {"AuthorizedUser": {"type": "authorized_user", "client_id": "1234-cli.apps.googleusercontent.com",
              "client_secret": "GOCSPX-cli-secret", "refresh_token": "1//cli-refresh", "token_uri": "{{_youtube.TokenEndpoint}}" } } }
            """, "oauth.json");
        var csv = Path.Combine(_cli.Folder, "mine.csv");

        var result = await _cli.RunAsync("sync", "--config", config, "--api-base", _youtube.BaseAddress.ToString(), "--channels", Channels(2), "--to", csv);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(_youtube.Channels.Take(2).Sum(c => c.VideoCount), (await File.ReadAllLinesAsync(csv)).Length - 1);
        Assert.Equal(1, _youtube.Counters.TokensIssued);
        Assert.DoesNotContain("GOCSPX-cli-secret", result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("1//cli-refresh", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_ToSheets_AsAnAuthorizedUserFromTheConfig_WritesEveryVideoOnce()
    {
        await using var sheets = await SheetsEmulator.StartAsync(new SheetsEmulatorOptions { RefreshTokens = { "1//sheets-user" }, BearerTokens = { "only-issued" } });
        var config = await _cli.ConfigAsync($$"""
            {"YouTube": {"ApiKey": "test-key"},
             "Sheets": {"AuthorizedUser": {"type": "authorized_user", "client_id": "c.apps.googleusercontent.com", "client_secret": "GOCSPX-sheets",
               "refresh_token": "1//sheets-user", "token_uri": "{{sheets.TokenEndpoint}}" } } }
            """, "sheets-user.json");

        var result = await _cli.RunAsync("sync", "--config", config, "--api-base", _youtube.BaseAddress.ToString(), "--sheets-base", sheets.BaseAddress.ToString(),
            "--channels", Channels(2), "--to", "sheets:sheet-of-alice/Videos");

        Assert.True(result.ExitCode == 0, result.ToString());
        var ids = sheets.GetValues("sheet-of-alice", "Videos").Skip(1).Select(r => r[0]).ToArray();
        Assert.Equal(_youtube.Channels.Take(2).Sum(c => c.VideoCount), ids.Length);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(1, sheets.Counters.TokensIssued);
    }

    [Fact]
    public async Task Sync_WithAnUnusableAuthorizedUserCredential_SaysWhatIsWrongInOneLine()
    {
        var config = await _cli.ConfigAsync("""{"YouTube":{"AuthorizedUser":{"client_id":"x","client_secret":"GOCSPX-cli-secret"}}}""", "half.json");

        var result = await _cli.RunAsync("sync", "--config", config, "--api-base", _youtube.BaseAddress.ToString(), "--channels", Channels(1), "--to", Path.Combine(_cli.Folder, "v.csv"));

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("The YouTube authorized-user credential read from the configuration section YouTube:AuthorizedUser cannot be used: it has no refresh_token", line, StringComparison.Ordinal);
        Assert.DoesNotContain("GOCSPX-cli-secret", line, StringComparison.Ordinal);
        Assert.Equal(0, _youtube.Counters.Requests + _youtube.Counters.TokenRequests);
    }

    [Fact]
    public async Task Resources_AfterASync_ShowTheQuotaItSpent_AndCanPauseIt()
    {
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        var sync = await SyncAsync("--channels", Channels(3), "--to", csv);
        Assert.True(sync.ExitCode == 0, sync.ToString());
        var spent = _youtube.Counters.UnitsSpent;
        Assert.True(spent > 0);

        // No --config: the youtube resource is the one pacer sync declares, not one a file has to repeat.
        var list = await _cli.RunAsync("resources", "--json");
        var pause = await _cli.RunAsync("resources", "pause", "youtube", "--reason", "quota review");
        var paused = await _cli.RunAsync("resources", "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        var youtube = list.Json().EnumerateArray().Single(r => r.GetProperty("name").GetString() == "youtube");
        Assert.True(youtube.GetProperty("configured").GetBoolean());
        Assert.Equal("10000/day@America/Los_Angeles", youtube.GetProperty("quota").GetString());
        Assert.Equal(spent, youtube.GetProperty("quotaUsed").GetInt64());
        Assert.Equal(10_000 - spent, youtube.GetProperty("quotaRemaining").GetInt64());
        var sheets = list.Json().EnumerateArray().Single(r => r.GetProperty("name").GetString() == "sheets");
        Assert.Equal("60/min", sheets.GetProperty("rate").GetString());
        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.True(paused.Json().EnumerateArray().Single(r => r.GetProperty("name").GetString() == "youtube").GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task Sync_HeldBackByAPausedResource_SaysWhatItWaitsFor_ThenSyncs()
    {
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        await _cli.OkAsync("migrate");
        await _cli.OkAsync("resources", "pause", "youtube", "--for", "3s", "--reason", "key rotation");

        var result = await SyncAsync("--channels", Channels(2), "--to", csv);

        Assert.True(result.ExitCode == 0, result.ToString());
        // The progress lines (one a second) say why nothing moves while the pause lasts.
        Assert.Contains(result.Out.Split('\n'), line => line.StartsWith("sync: channels resolved 0/2", StringComparison.Ordinal)
            && line.Contains("; waiting for youtube: paused until ", StringComparison.Ordinal) && line.EndsWith("(key rotation)", StringComparison.Ordinal));
        Assert.Contains("channels:   2 (2 synced)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_Interrupted_CancelsItsUnfinishedJobs_SoNoLaterProcessRunsThem()
    {
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        await _cli.OkAsync("migrate");
        await _cli.OkAsync("resources", "pause", "youtube", "--reason", "held for the test");
        using var interrupt = new CancellationTokenSource();

        var sync = SyncAsync(interrupt.Token, "--channels", Channels(3), "--to", csv);
        await WaitUntilAsync(async () => (await _cli.RunAsync("jobs", "list", "--state", "waiting", "--json")).Json().GetArrayLength() > 0);
        await interrupt.CancelAsync();
        var result = await sync;

        Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
        Assert.Contains("Cancelled the sync's 1 unfinished job. Rows already written stay; running the same command again syncs the rest.", result.Error, StringComparison.Ordinal);
        var jobs = (await _cli.RunAsync("jobs", "list", "--json")).Json().EnumerateArray().ToArray();
        Assert.Equal(["cancelled"], jobs.Select(j => j.GetProperty("state").GetString()).Distinct());
        Assert.False(File.Exists(csv));

        // The next sync runs its own jobs only, and syncs everything.
        await _cli.OkAsync("resources", "resume", "youtube");
        var again = await SyncAsync("--channels", Channels(3), "--to", csv);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(_youtube.Channels.Take(3).Sum(c => c.VideoCount), (await File.ReadAllLinesAsync(csv)).Length - 1);
    }

    [Fact]
    public async Task Sync_StartedWhileTheSameRuns_FollowsThatRun_InsteadOfPagingEveryChannelAgain()
    {
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        await _cli.OkAsync("migrate");
        await _cli.OkAsync("resources", "pause", "youtube", "--reason", "held for the test");
        var first = SyncAsync("--channels", Channels(3), "--to", csv);
        await WaitUntilAsync(async () => (await _cli.RunAsync("jobs", "list", "--state", "waiting", "--json")).Json().GetArrayLength() > 0);

        // The same channels in another order, the same file: the same sync. Its output is watched as it comes, so the
        // quota is given back only once it has found the first run (or it would find it finished, and start its own).
        var output = new StringWriter();
        var watched = TextWriter.Synchronized(output);
        var second = PacerCli.RunAsync(
            ["sync", "--config", _config, "--api-base", _youtube.BaseAddress.ToString(), "--channels", string.Join(',', Channels(3).Split(',').Reverse()),
             "--to", csv, "--db", _cli.Database],
            CliConsole.ForWriters(watched, TextWriter.Null), CliRun.Quiet, CancellationToken.None);
        await WaitUntilAsync(() =>
        {
            lock (watched)
                return Task.FromResult(output.ToString().Contains("Resuming sync run ", StringComparison.Ordinal) || second.IsCompleted);
        });
        await _cli.OkAsync("resources", "resume", "youtube");
        var a = await first;
        var exit = await second;

        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.True(exit == 0, output.ToString());
        var b = output.ToString();
        Assert.Contains("Resuming sync run ", b, StringComparison.Ordinal);
        var expected = _youtube.Channels.Take(3).Sum(c => c.VideoCount);
        Assert.Contains($"new videos: {expected:N0}", b, StringComparison.Ordinal);
        var jobs = (await _cli.RunAsync("jobs", "list", "--json")).Json().EnumerateArray().ToArray();
        Assert.Single(jobs, j => j.GetProperty("kind").GetString() == "channel-sync");
        Assert.Equal(3, jobs.Count(j => j.GetProperty("kind").GetString() == "channel-sync.channel"));
        Assert.Equal(expected, (await File.ReadAllLinesAsync(csv)).Length - 1);
    }

    [Fact]
    public async Task Sync_WhoseRunJobIsAlreadyEnqueued_FollowsThatRun()
    {
        // As when two identical syncs start at one moment and neither sees the other's jobs yet: the run job's unique key
        // (what it syncs) lets one in, and the other follows its run. Here the first one's run job is put there by hand.
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        var channels = _youtube.Channels.Take(2).Select(c => c.Id).ToArray();
        var same = Pacer.ChannelSync.SyncKeys.SameSyncTag(channels, [csv]);
        var args = System.Text.Json.JsonSerializer.Serialize(new { channels, destinations = new[] { csv }, run = "earlier" });
        await _cli.OkAsync("migrate");
        await using (var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database }))
        {
            await store.InsertManyAsync(new Pacer.Storage.InsertManyRequest([new Pacer.Storage.JobInsert
            {
                Kind = "channel-sync", Args = args, ScheduledAt = DateTimeOffset.UtcNow, UniqueKey = same + ":run", Tags = ["run:earlier"],
            }], DateTimeOffset.UtcNow), CancellationToken.None);
        }

        var result = await SyncAsync("--channels", string.Join(',', channels), "--to", csv);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Resuming sync run earlier", result.Out, StringComparison.Ordinal);
        Assert.Equal(_youtube.Channels.Take(2).Sum(c => c.VideoCount), (await File.ReadAllLinesAsync(csv)).Length - 1);
        var jobs = (await _cli.RunAsync("jobs", "list", "--json")).Json().EnumerateArray().ToArray();
        Assert.Single(jobs, j => j.GetProperty("kind").GetString() == "channel-sync");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Sync_ToAFileWithOtherColumns_FailsInItsOwnWords_BeforeSpendingAnyQuota()
    {
        var csv = Path.Combine(_cli.Folder, "other.csv");
        await File.WriteAllTextAsync(csv, "name,price\nwidget,3\n");

        var result = await SyncAsync("--channels", Channels(3), "--to", csv);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: The sync could not start: ", line, StringComparison.Ordinal);
        Assert.Contains("other.csv' has other columns than this sink writes: expected header video_id,", line, StringComparison.Ordinal);
        Assert.Equal(0, _youtube.Counters.Requests);
        Assert.Equal("name,price\nwidget,3\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task Sync_CachesChannelListsAndFirstPagesOnly_WhatCanComeBack304()
    {
        var csv = Path.Combine(_cli.Folder, "videos.csv");
        Assert.Contains(_youtube.Channels.Take(5), c => c.VideoCount > 50); // some channels have later pages

        var result = await SyncAsync("--channels", Channels(5), "--to", csv);

        Assert.True(result.ExitCode == 0, result.ToString());
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_cli.Database};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT url, count(*) FROM pacer_http_cache GROUP BY url ORDER BY url";
        var stored = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                stored.Add($"{new Uri(reader.GetString(0)).AbsolutePath} {reader.GetInt64(1)}");
        }
        // Later pages move with every upload and videos are looked up once: storing them would never be repaid.
        Assert.Equal(["/youtube/v3/channels 1", "/youtube/v3/playlistItems 5"], stored);
    }

    [Fact]
    public async Task Sync_ResolvesChannelsWithSeveralLookupsAtOnce()
    {
        // Six ids are one channels.list call and the handle another: they go out together, not one after the other.
        var probe = new ConcurrentChannelLookups();
        var overrides = CliRun.Quiet with
        {
            Pacer = pacer => pacer.Services.AddHttpClient(YouTubeServiceCollectionExtensions.HttpClientName)
                .AddHttpMessageHandler(() => new ConcurrentChannelLookups.Handler(probe)),
        };

        var result = await _cli.RunAsync(overrides, ["sync", "--api-base", _youtube.BaseAddress.ToString(), "--config", _config,
            "--channels", Channels(6, "@nobody-here"), "--to", Path.Combine(_cli.Folder, "videos.csv")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, probe.MaxInFlight);
    }

    /// <summary>Holds each channels.list call until a second one is in flight (or 5 s passed), and records the most at once.</summary>
    private sealed class ConcurrentChannelLookups
    {
        private readonly TaskCompletionSource _second = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _max;

        public int MaxInFlight => Volatile.Read(ref _max);

        public sealed class Handler(ConcurrentChannelLookups probe) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (!request.RequestUri!.AbsolutePath.EndsWith("/channels", StringComparison.Ordinal))
                    return await base.SendAsync(request, cancellationToken);
                var now = Interlocked.Increment(ref probe._inFlight);
                InterlockedMax(ref probe._max, now);
                if (now >= 2)
                    probe._second.TrySetResult();
                try
                {
                    await Task.WhenAny(probe._second.Task, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken));
                    return await base.SendAsync(request, cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref probe._inFlight);
                }
            }

            private static void InterlockedMax(ref int target, int value)
            {
                int current;
                while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
                {
                    // another caller raised it meanwhile; look again
                }
            }
        }
    }

    [Fact]
    public async Task Sync_Every_StoresASchedule_InsteadOfSyncing()
    {
        var result = await SyncAsync("--channels", Channels(2), "--to", Path.Combine(_cli.Folder, "v.csv"), "--every", "0 6 * * *", "--time-zone", "Europe/Berlin", "--name", "morning");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("Scheduled morning: '0 6 * * *' in Europe/Berlin, next run ", result.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cli.Folder, "v.csv")));
        await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database });
        var schedule = Assert.Single(await store.ListSchedulesAsync(CancellationToken.None));
        Assert.Equal(("morning", "channel-sync"), (schedule.Name, schedule.Kind));
        // Each slot's run knows its schedule and carries its tag, so a slot is skipped while the previous run is unfinished.
        Assert.Equal("morning", System.Text.Json.JsonDocument.Parse(schedule.Args).RootElement.GetProperty("schedule").GetString());
        Assert.Contains("\"schedule:morning\"", schedule.Options, StringComparison.Ordinal);
        var listed = await _cli.OkAsync("schedules");
        Assert.Contains("morning", listed, StringComparison.Ordinal);
        Assert.Contains("0 6 * * *", listed, StringComparison.Ordinal);
        Assert.Equal("Removed schedule morning.", (await _cli.OkAsync("schedules", "remove", "morning")).Trim());
        var again = await _cli.RunAsync("schedules", "remove", "morning");
        Assert.True(again.ExitCode == 1, again.ToString());
    }

    [Fact]
    public async Task Sync_RelativeDestinations_AreStoredAbsolute_SoAWorkerElsewhereWritesTheSameFiles()
    {
        // Relative to this process's directory, as a user types them; sheets: destinations are not paths.
        var csv = Path.Combine(_cli.Folder, "rel.csv");
        var db = Path.Combine(_cli.Folder, "rel.db");
        var relativeCsv = Path.GetRelativePath(Directory.GetCurrentDirectory(), csv);
        var relativeDb = "sqlite:" + Path.GetRelativePath(Directory.GetCurrentDirectory(), db) + "#clips";

        var once = await SyncAsync("--channels", Channels(1), "--to", relativeCsv);
        var scheduled = await SyncAsync("--channels", Channels(1), "--to", relativeCsv, "--to", relativeDb, "--every", "0 6 * * *", "--name", "rel");

        Assert.True(once.ExitCode == 0, once.ToString());
        Assert.Contains($"written to: {csv}", once.Out, StringComparison.Ordinal);
        Assert.True(scheduled.ExitCode == 0, scheduled.ToString());
        await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database });
        var jobs = await store.ListAsync(new Pacer.Storage.JobQuery { Limit = 100 }, CancellationToken.None);
        Assert.All(jobs, job => Assert.Equal([csv], System.Text.Json.JsonDocument.Parse(job.Args).RootElement.GetProperty("destinations").EnumerateArray().Select(d => d.GetString())));
        var schedule = Assert.Single(await store.ListSchedulesAsync(CancellationToken.None));
        Assert.Equal([csv, $"sqlite:{db}#clips"],
            System.Text.Json.JsonDocument.Parse(schedule.Args).RootElement.GetProperty("destinations").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task SchedulesRemove_SaysWhichOfItsRunsJobsStay_AndHowToCancelThem()
    {
        Assert.Equal(0, (await SyncAsync("--channels", Channels(2), "--to", Path.Combine(_cli.Folder, "v.csv"), "--every", "0 6 * * *", "--name", "morning")).ExitCode);
        // Stand-ins for a run of the schedule that is still going (every job of a scheduled run carries its tag).
        await _cli.EnqueueAsync("noop", "--tag", "schedule:morning");
        await _cli.EnqueueAsync("noop", "--tag", "schedule:morning", "--in", "1h");
        await _cli.EnqueueAsync("noop", "--tag", "schedule:evening");

        var removed = await _cli.OkAsync("schedules", "remove", "morning");
        var cancelled = await _cli.OkAsync("jobs", "cancel", "--tag", "schedule:morning");

        Assert.Equal("Removed schedule morning. 2 unfinished jobs of its runs stay and will run; 'pacer jobs cancel --tag schedule:morning' cancels them.", removed.Trim());
        Assert.Equal("Cancelled 2 jobs tagged 'schedule:morning'.", cancelled.Trim());
    }

    [Fact]
    public async Task Run_WithoutAKey_SaysItLeavesTheDatabasesSyncsToAWorkerThatHasOne()
    {
        Assert.Equal(0, (await SyncAsync("--channels", Channels(2), "--to", Path.Combine(_cli.Folder, "v.csv"), "--every", "0 6 * * *", "--name", "morning")).ExitCode);

        var without = await _cli.RunAsync("run", "--drain");
        var with = await _cli.RunAsync("run", "--drain", "--config", _config);

        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.Contains("warning: this database holds 1 sync schedule, but this worker has no YouTube credential, so it leaves them to a worker that has one. " +
            "Set PACER_YOUTUBE_API_KEY (or YouTube:ApiKey in --config; YouTube:AuthorizedUser for an OAuth client and refresh token) to run them here.",
            without.Error, StringComparison.Ordinal);
        Assert.True(with.ExitCode == 0, with.ToString());
        Assert.DoesNotContain("warning:", with.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ApiKey")]
    [InlineData("AuthorizedUser")]
    public async Task ScheduledSync_RunsOnAWorkerThatHasACredential(string credential)
    {
        var csv = Path.Combine(_cli.Folder, "scheduled.csv");
        Assert.Equal(0, (await SyncAsync("--channels", Channels(3), "--to", csv, "--every", "*/2 * * * * *", "--name", "often")).ExitCode);
        var youtube = credential == "ApiKey"
            ? "\"ApiKey\": \"test-key\""
            : $$"""
              "AuthorizedUser": {"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "1//r", "token_uri": "{{_youtube.TokenEndpoint}}" }
              """;
        var worker = await _cli.ConfigAsync($$$"""{"YouTube":{ {{{youtube}}}, "BaseAddress":"{{{_youtube.BaseAddress}}}"},"Pacer":{"PollInterval":"00:00:00.2","MaintenanceInterval":"00:00:00.2"}}""", "worker.json");
        var expected = _youtube.Channels.Take(3).Sum(c => c.VideoCount);
        using var stop = new CancellationTokenSource();

        var run = _cli.RunAsync(stop.Token, "run", "--config", worker);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(File.Exists(csv) && (await File.ReadAllLinesAsync(csv)).Length - 1 == expected) && DateTime.UtcNow < deadline && !run.IsCompleted)
            await Task.Delay(100);
        await stop.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        var ids = (await File.ReadAllLinesAsync(csv)).Skip(1).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(expected, ids.Length);
        Assert.Equal(expected, ids.Distinct().Count());
        Assert.Equal(credential == "AuthorizedUser" ? 1 : 0, _youtube.Counters.TokensIssued);
    }

    public static TheoryData<string[], string> BadInput => new()
    {
        { ["--channels", "UC123,not a channel", "--to", "v.csv"], "--channels, line 1: 'UC123' is not a channel; write a channel id (UC followed by 22" },
        { ["--channels", "./missing/channels.txt", "--to", "v.csv"], "--channels ./missing/channels.txt: no such file" },
        { ["--channels", "# nothing here", "--to", "v.csv"], "--channels lists no channel" },
        { ["--channels", "@somebody", "--to", "videos.txt"], "--to: " },
        { ["--channels", "@somebody", "--to", "/no/such/dir/videos.csv"], "--to: " },
        { ["--channels", "@somebody", "--to", "sqlite:"], "--to: " },
        { ["--channels", "@somebody", "--to", "v.csv", "--every", "sometimes"], "--every: " },
        { ["--channels", "@somebody", "--to", "v.csv", "--every", "0 * * * *", "--api-base", "http://127.0.0.1:9/"], "--api-base is not stored with a schedule: the worker ('pacer run') that runs it calls the YouTube API at YouTube:BaseAddress. Put \"YouTube\": { \"BaseAddress\": \"http://127.0.0.1:9/\" } in the worker's --config" },
        { ["--channels", "@somebody", "--to", "v.csv", "--every", "0 * * * *", "--sheets-base", "http://127.0.0.1:9/"], "--sheets-base is not stored with a schedule" },
        { ["--channels", "@somebody", "--to", "v.csv", "--name", "n"], "--time-zone and --name describe a schedule" },
        { ["--channels", "mine", "--to", "v.csv"], "--channels has 'mine', the channel of the user an OAuth credential is for, but the YouTube credential is an API key." },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Sync_BadInput_OneLineExit2_NothingStored(string[] args, string expected)
    {
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop");
        var before = await _cli.SnapshotAsync();

        var result = await SyncAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(before, await _cli.SnapshotAsync());
    }

    [Fact]
    public async Task Sync_ApiBaseNotHttp_IsAUsageError()
    {
        var result = await _cli.RunAsync("sync", "--api-base", "ftp://x", "--config", _config, "--channels", "@somebody", "--to", "v.csv");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--api-base ftp://x is not an http(s) URL", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_WithoutAnApiKey_SaysWhereToPutIt()
    {
        var result = await _cli.RunAsync("sync", "--api-base", _youtube.BaseAddress.ToString(), "--channels", Channels(1), "--to", Path.Combine(_cli.Folder, "v.csv"));

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("No YouTube API key found", line, StringComparison.Ordinal);
        Assert.Contains("PACER_YOUTUBE_API_KEY", line, StringComparison.Ordinal);
        Assert.Equal(0, _youtube.Counters.Requests);
    }
}
