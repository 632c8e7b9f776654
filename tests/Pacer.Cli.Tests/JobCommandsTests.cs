using System.Globalization;
using System.Text.Json;
using Pacer.Storage;
using Pacer.Tests.BuiltIn;

namespace Pacer.Cli.Tests;

public sealed class JobCommandsTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Migrate_NewDatabase_PrintsFromAndToVersion_ThenUpToDate()
    {
        var first = await _cli.OkAsync("migrate");
        var second = await _cli.OkAsync("migrate", "--json");

        Assert.Contains("from schema version 0 to ", first, StringComparison.Ordinal);
        var json = JsonDocument.Parse(second).RootElement;
        Assert.Equal(json.GetProperty("toVersion").GetInt32(), json.GetProperty("fromVersion").GetInt32());
        Assert.Equal(0, json.GetProperty("applied").GetArrayLength());
    }

    [Fact]
    public async Task Enqueue_ThenRunDrain_ThenShow_IsCompleted()
    {
        await _cli.OkAsync("migrate");
        var id = long.Parse((await _cli.OkAsync("enqueue", "sleep", "--args", """{"milliseconds":20}""", "--tag", "a", "--tag", "b", "--priority", "3")).Trim(), CultureInfo.InvariantCulture);

        var run = await _cli.OkAsync("run", "--drain");
        var job = await _cli.ShowAsync(id);

        Assert.Contains("Drained", run, StringComparison.Ordinal);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(1, job.GetProperty("attempt").GetInt32());
        Assert.Equal(3, job.GetProperty("priority").GetInt32());
        Assert.Equal(["a", "b"], job.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(20, job.GetProperty("args").GetProperty("milliseconds").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("finalizedAt").ValueKind);
    }

    [Fact]
    public async Task Enqueue_SameUniqueKey_ReturnsTheSameJobAndSaysSo()
    {
        await _cli.OkAsync("migrate");

        var first = await _cli.RunAsync("enqueue", "noop", "--unique-key", "report:42", "--json");
        var second = await _cli.RunAsync("enqueue", "noop", "--unique-key", "report:42", "--json");
        var plain = await _cli.OkAsync("enqueue", "noop", "--unique-key", "report:42");

        Assert.False(first.Json().GetProperty("existing").GetBoolean());
        Assert.True(second.Json().GetProperty("existing").GetBoolean());
        var id = first.Json().GetProperty("id").GetInt64();
        Assert.Equal(id, second.Json().GetProperty("id").GetInt64());
        Assert.StartsWith($"{id} (already enqueued under unique key 'report:42'", plain, StringComparison.Ordinal);
        Assert.Single(JsonDocument.Parse(await _cli.OkAsync("jobs", "list", "--json")).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Enqueue_In_IsScheduledForLater_AndDrainLeavesIt()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop", "--in", "1h30m");

        await _cli.OkAsync("run", "--drain");
        var job = await _cli.ShowAsync(id);

        Assert.Equal("scheduled", job.GetProperty("state").GetString());
        var delay = job.GetProperty("scheduledAt").GetDateTimeOffset() - job.GetProperty("createdAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromMinutes(90), TimeSpan.FromSeconds(Math.Round(delay.TotalSeconds)));
    }

    [Fact]
    public async Task Enqueue_At_IsScheduledAtThatTime()
    {
        await _cli.OkAsync("migrate");

        var id = await _cli.EnqueueAsync("noop", "--at", "2099-01-02T03:04:05+01:00");

        Assert.Equal(new DateTimeOffset(2099, 1, 2, 2, 4, 5, TimeSpan.Zero), (await _cli.ShowAsync(id)).GetProperty("scheduledAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Cancel_WaitingJob_IsCancelledAndNeverRuns()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");

        var cancel = await _cli.OkAsync("jobs", "cancel", id.ToString(CultureInfo.InvariantCulture));
        await _cli.OkAsync("run", "--drain");
        var again = await _cli.OkAsync("jobs", "cancel", id.ToString(CultureInfo.InvariantCulture));

        Assert.Equal($"Job {id} cancelled.", cancel.Trim());
        Assert.Contains("already finished", again, StringComparison.Ordinal);
        var job = await _cli.ShowAsync(id);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.Equal(0, job.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task Cancel_Tag_CancelsEveryUnfinishedJobWithTheTag_AndNoOther()
    {
        await _cli.OkAsync("migrate");
        var done = await _cli.EnqueueAsync("noop", "--tag", "nightly");
        await _cli.OkAsync("run", "--drain");
        var now = await _cli.EnqueueAsync("noop", "--tag", "nightly");
        var later = await _cli.EnqueueAsync("noop", "--tag", "nightly", "--tag", "other", "--in", "1h");
        var untagged = await _cli.EnqueueAsync("noop");
        var otherTag = await _cli.EnqueueAsync("noop", "--tag", "nightly-2");

        var cancel = await _cli.OkAsync("jobs", "cancel", "--tag", "nightly");
        var again = await _cli.OkAsync("jobs", "cancel", "--tag", "nightly");

        Assert.Equal("Cancelled 2 jobs tagged 'nightly'.", cancel.Trim());
        Assert.Equal("No unfinished job tagged 'nightly'; nothing changed.", again.Trim());
        async Task<string> State(long id) => (await _cli.ShowAsync(id)).GetProperty("state").GetString()!;
        Assert.Equal(["completed", "cancelled", "cancelled", "available", "available"],
            [await State(done), await State(now), await State(later), await State(untagged), await State(otherTag)]);
    }

    [Fact]
    public async Task DryRun_SaysHowManyJobsTheFiltersMatch_AndChangesNothing()
    {
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop", "--tag", "nightly");
        await _cli.OkAsync("run", "--drain");
        var now = await _cli.EnqueueAsync("noop", "--tag", "nightly");
        await _cli.EnqueueAsync("noop", "--tag", "nightly", "--in", "1h");
        var before = await _cli.SnapshotAsync();

        var cancel = await _cli.OkAsync("jobs", "cancel", "--tag", "nightly", "--dry-run");
        var retry = await _cli.OkAsync("jobs", "retry", "--state", "completed", "--tag", "nightly", "--dry-run");
        var none = await _cli.OkAsync("jobs", "retry", "--tag", "nightly", "--dry-run");
        var withId = await _cli.RunAsync("jobs", "cancel", now.ToString(CultureInfo.InvariantCulture), "--dry-run");

        Assert.Equal("2 jobs tagged 'nightly' match: a cancel would cancel them. Nothing changed (--dry-run).", cancel.Trim());
        Assert.Equal("1 completed job tagged 'nightly' matches: a retry would run it again now. Nothing changed (--dry-run).", retry.Trim());
        Assert.Equal("No discarded job tagged 'nightly'; nothing changed.", none.Trim());
        Assert.Equal(2, withId.ExitCode);
        Assert.Contains("--dry-run counts the jobs --state, --queue, --kind and --tag match", withId.Error, StringComparison.Ordinal);
        Assert.Equal(before, await _cli.SnapshotAsync());
    }

    [Fact]
    public async Task DryRun_Cancel_SaysWhichOfTheMatchingJobsRun()
    {
        await _cli.OkAsync("migrate");
        var sleeping = await _cli.EnqueueAsync("sleep", "--args", """{"milliseconds":60000}""", "--tag", "long");
        await _cli.EnqueueAsync("noop", "--tag", "long", "--in", "1h");
        using var stop = new CancellationTokenSource();
        var worker = _cli.Start(stop.Token, "run");
        try
        {
            for (var i = 0; i < 300 && (await _cli.ShowAsync(sleeping)).GetProperty("state").GetString() != "running"; i++)
                await Task.Delay(50);

            var both = await _cli.OkAsync("jobs", "cancel", "--tag", "long", "--dry-run");
            var one = await _cli.OkAsync("jobs", "cancel", "--tag", "long", "--state", "running", "--dry-run");

            Assert.Equal("2 jobs tagged 'long' match: a cancel would cancel them; 1 of them is running and would stop at its worker's next heartbeat. " +
                "Nothing changed (--dry-run).", both.Trim());
            Assert.Equal("1 running job tagged 'long' matches: a cancel would cancel it; it is running and would stop at its worker's next heartbeat. " +
                "Nothing changed (--dry-run).", one.Trim());
            Assert.Equal("running", (await _cli.ShowAsync(sleeping)).GetProperty("state").GetString());
        }
        finally
        {
            await stop.CancelAsync();
            await worker.Result;
        }
    }

    [Fact]
    public async Task Cancel_Filter_LongerThanASecond_SaysHowFarItGot_AndStoppedSaysWhatItLeft()
    {
        await _cli.OkAsync("migrate");
        await using (var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database }))
        {
            var job = new JobInsert { Kind = "noop", Args = "{}", ScheduledAt = DateTimeOffset.UtcNow.AddHours(1), Tags = ["nightly"] };
            await store.InsertManyAsync(new InsertManyRequest([.. Enumerable.Repeat(job, 1_200)], DateTimeOffset.UtcNow), CancellationToken.None);
        }
        using var ctrlC = new CancellationTokenSource();
        // Ctrl+C as soon as the first progress line shows; the clock moves a second at every look, so every page is late.
        var output = new CallbackWriter(line =>
        {
            if (line.Contains("so far", StringComparison.Ordinal))
                ctrlC.Cancel();
        });
        var error = new StringWriter();

        var exit = await PacerCli.RunAsync(["jobs", "cancel", "--tag", "nightly", "--db", _cli.Database], CliConsole.ForWriters(output, error),
            CliRun.Quiet with { Time = new SteppingClock() }, ctrlC.Token);

        Assert.Equal(130, exit);
        Assert.Equal("Cancelling jobs tagged 'nightly': 500 so far.", output.ToString().Trim());
        Assert.Equal(
            ["Stopped: cancelled 500 jobs tagged 'nightly'; the other jobs are as they were: run the same command again for them.", "Interrupted."],
            error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("Cancelled 700 jobs tagged 'nightly'.", (await _cli.OkAsync("jobs", "cancel", "--tag", "nightly")).Trim());
    }

    /// <summary>A clock a second further on at every look.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now = _now.AddSeconds(1);
    }

    private sealed class CallbackWriter(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }

    [Theory]
    [InlineData]
    [InlineData("1", "--tag", "nightly")]
    public async Task Cancel_NeitherOrBothOfIdAndTag_IsAUsageError(params string[] args)
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop", "--tag", "nightly");

        var result = await _cli.RunAsync(["jobs", "cancel", .. args]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Give a job ID, or --state, --queue, --kind or --tag to cancel every job they match", result.Error, StringComparison.Ordinal);
        Assert.Equal("available", (await _cli.ShowAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Retry_DiscardedJob_RunsAgainAndCompletes()
    {
        var status = 404;
        await using var server = await TestHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = Volatile.Read(ref status);
            return Task.CompletedTask;
        });
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("http", "--args", JsonSerializer.Serialize(new { url = server.Url("/thing") }));

        await _cli.OkAsync("run", "--drain");
        var discarded = await _cli.ShowAsync(id);
        Volatile.Write(ref status, 200);
        var retry = await _cli.OkAsync("jobs", "retry", id.ToString(CultureInfo.InvariantCulture));
        await _cli.OkAsync("run", "--drain");
        var completed = await _cli.ShowAsync(id);

        Assert.Equal("discarded", discarded.GetProperty("state").GetString());
        var error = Assert.Single(discarded.GetProperty("errors").EnumerateArray());
        Assert.Equal("Pacer.PermanentJobException", error.GetProperty("type").GetString());
        Assert.Contains("answered 404", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotNull(error.GetProperty("stackTrace").GetString());
        Assert.Equal($"Job {id} will run again now.", retry.Trim());
        Assert.Equal("completed", completed.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Retry_Filters_RetryTheDiscardedJobsTheyMatch_AndNoOther()
    {
        var status = 404;
        await using var server = await TestHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = Volatile.Read(ref status);
            return Task.CompletedTask;
        });
        await _cli.OkAsync("migrate");
        var args = JsonSerializer.Serialize(new { url = server.Url("/hook") });
        var hook = await _cli.EnqueueAsync("http", "--args", args, "--tag", "hook");
        var other = await _cli.EnqueueAsync("http", "--args", args);
        var noop = await _cli.EnqueueAsync("noop", "--tag", "hook");
        await _cli.OkAsync("run", "--drain");
        Volatile.Write(ref status, 200);

        var first = await _cli.OkAsync("jobs", "retry", "--kind", "http", "--tag", "hook");
        var second = await _cli.OkAsync("jobs", "retry", "--kind", "http");
        await _cli.OkAsync("run", "--drain");
        var none = await _cli.OkAsync("jobs", "retry", "--state", "discarded");

        Assert.Equal("Retried 1 discarded job of kind 'http' tagged 'hook': it runs again now.", first.Trim());
        Assert.Equal("Retried 1 discarded job of kind 'http': it runs again now.", second.Trim());
        Assert.Equal("No discarded job; nothing changed.", none.Trim());
        foreach (var id in new[] { hook, other, noop })
        {
            var job = await _cli.ShowAsync(id);
            Assert.Equal("completed", job.GetProperty("state").GetString());
            Assert.Equal(id == noop ? 1 : 2, job.GetProperty("attempt").GetInt32());
        }
    }

    [Fact]
    public async Task Retry_Filter_AJobWhoseUniqueKeyIsTakenAgain_IsLeftAsItWas_AndSaysWhy()
    {
        await using var server = await TestHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        await _cli.OkAsync("migrate");
        var failed = await _cli.EnqueueAsync("http", "--args", JsonSerializer.Serialize(new { url = server.Url("/report") }), "--unique-key", "report-7");
        await _cli.OkAsync("run", "--drain");
        var again = await _cli.EnqueueAsync("noop", "--unique-key", "report-7", "--in", "1h");

        var retry = await _cli.OkAsync("jobs", "retry", "--kind", "http");

        Assert.Equal("Nothing retried: 1 discarded job of kind 'http' left as it was: another job with the same unique key is already waiting to run.", retry.Trim());
        Assert.Equal("discarded", (await _cli.ShowAsync(failed)).GetProperty("state").GetString());
        Assert.Equal("scheduled", (await _cli.ShowAsync(again)).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("retry", "running", "--state running: a job waiting to run or running cannot be retried; use discarded, retryable, cancelled, completed.")]
    [InlineData("retry", "available", "--state available: a job waiting to run or running cannot be retried")]
    [InlineData("cancel", "completed", "--state completed: only unfinished jobs can be cancelled; use scheduled, available, waiting, running, retryable.")]
    public async Task BulkRetryOrCancel_AStateItCannotTake_IsAUsageError_AndChangesNothing(string verb, string state, string message)
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");

        var result = await _cli.RunAsync(["jobs", verb, "--state", state]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Equal("available", (await _cli.ShowAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task List_FiltersByStateQueueAndKind_NewestFirst()
    {
        await _cli.OkAsync("migrate");
        var a = await _cli.EnqueueAsync("noop", "--queue", "alpha");
        var b = await _cli.EnqueueAsync("sleep", "--args", """{"milliseconds":1}""", "--queue", "beta");
        var c = await _cli.EnqueueAsync("noop", "--queue", "beta", "--in", "1h");

        long[] Ids(string json) => [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(j => j.GetProperty("id").GetInt64())];

        Assert.Equal([c, b, a], Ids(await _cli.OkAsync("jobs", "list", "--json")));
        Assert.Equal([c, b], Ids(await _cli.OkAsync("jobs", "list", "--queue", "beta", "--json")));
        Assert.Equal([c, a], Ids(await _cli.OkAsync("jobs", "list", "--kind", "noop", "--json")));
        Assert.Equal([b, a], Ids(await _cli.OkAsync("jobs", "list", "--state", "available", "--json")));
        Assert.Equal([c, a], Ids(await _cli.OkAsync("jobs", "list", "--state", "scheduled,available", "--kind", "noop", "--json")));
        Assert.Equal([c], Ids(await _cli.OkAsync("jobs", "list", "--limit", "1", "--json")));
        Assert.Equal([b], Ids(await _cli.OkAsync("jobs", "list", "--limit", "1", "--before", c.ToString(CultureInfo.InvariantCulture), "--json")));
        Assert.EndsWith($"More jobs match; the next 2: the same command with --before {b}.", (await _cli.OkAsync("jobs", "list", "--limit", "2")).TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("More jobs match", await _cli.OkAsync("jobs", "list", "--limit", "3"), StringComparison.Ordinal);
        var d = await _cli.EnqueueAsync("noop", "--tag", "nightly", "--tag", "x");
        var e = await _cli.EnqueueAsync("noop", "--tag", "nightly-2");
        Assert.Equal([d], Ids(await _cli.OkAsync("jobs", "list", "--tag", "nightly", "--json")));
        Assert.Equal([e], Ids(await _cli.OkAsync("jobs", "list", "--tag", "nightly-2", "--json")));
        Assert.Empty(Ids(await _cli.OkAsync("jobs", "list", "--tag", "nightly", "--kind", "sleep", "--json")));
        var table = await _cli.OkAsync("jobs", "list");
        Assert.StartsWith("ID  STATE", table, StringComparison.Ordinal);
        Assert.Equal(6, table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Run_Queues_WorksOnlyThoseQueues()
    {
        await _cli.OkAsync("migrate");
        var other = await _cli.EnqueueAsync("noop", "--queue", "other");
        var main = await _cli.EnqueueAsync("noop");

        await _cli.OkAsync("run", "--drain", "--queues", "default=2");
        Assert.Equal("available", (await _cli.ShowAsync(other)).GetProperty("state").GetString());
        Assert.Equal("completed", (await _cli.ShowAsync(main)).GetProperty("state").GetString());

        await _cli.OkAsync("run", "--drain", "--queues", "other=1", "--concurrency", "1");
        Assert.Equal("completed", (await _cli.ShowAsync(other)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Enqueue_LiteralCredential_IsRefused_NothingStored()
    {
        await _cli.OkAsync("migrate");

        var result = await _cli.RunAsync("enqueue", "http", "--args",
            """{"url":"https://example.org/hook","headers":{"Authorization":"Bearer very-secret-token"}}""");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("'Authorization' holds a credential, which would be stored with the job in clear text; write it as a secret reference", line, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret-token", line, StringComparison.Ordinal);
        Assert.Equal("[]", (await _cli.OkAsync("jobs", "list", "--json")).Trim());
    }

    [Fact]
    public async Task Show_HidesHeaderValuesAndSecretLookingArgs_InEveryFormat()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("http", "--args",
            """{"url":"https://example.org/hook","headers":{"Authorization":"Bearer {secret:HOOK_TOKEN}","X-Trace":"trace-123"}}""", "--in", "1h");

        var plain = await _cli.OkAsync("jobs", "show", id.ToString(CultureInfo.InvariantCulture));
        var json = await _cli.OkAsync("jobs", "show", id.ToString(CultureInfo.InvariantCulture), "--json");

        foreach (var output in new[] { plain, json })
        {
            Assert.DoesNotContain("trace-123", output, StringComparison.Ordinal);
            Assert.Contains("Authorization", output, StringComparison.Ordinal);
            Assert.Contains("https://example.org/hook", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Status_Json_ParsesWithQueuesCountsAndThroughput()
    {
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop");
        await _cli.EnqueueAsync("noop");
        await _cli.EnqueueAsync("noop", "--queue", "later", "--in", "1h");
        await _cli.OkAsync("run", "--drain");

        var status = JsonDocument.Parse(await _cli.OkAsync("status", "--json")).RootElement;
        var plain = await _cli.OkAsync("status");

        var queues = status.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.GetProperty("counts"));
        Assert.Equal(2, queues["default"].GetProperty("completed").GetInt64());
        Assert.Equal(1, queues["later"].GetProperty("scheduled").GetInt64());
        Assert.Equal(2, status.GetProperty("totals").GetProperty("completed").GetInt64());
        Assert.Equal(2, status.GetProperty("finishedLastMinute").GetInt64());
        Assert.True(status.GetProperty("throughputPerSecond").GetDouble() > 0);
        Assert.Contains("Throughput: 2 jobs finished in the last minute", plain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_WhenRedirected_HasNoAnsiEscapes()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");
        await _cli.OkAsync("run", "--drain");

        foreach (var args in new[] { new[] { "jobs", "list" }, ["jobs", "show", id.ToString(CultureInfo.InvariantCulture)], ["status"] })
            Assert.DoesNotContain('\u001b', await _cli.OkAsync(args));
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        var version = await _cli.OkAsync("--version");

        Assert.Matches(@"^\d+\.\d+\.\d+", version);
    }
}
