using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Pacer.Storage;

namespace Pacer.Tests.Engine;

public sealed record Work(string Name = "w");

/// <summary>A handler whose behaviour each test scripts through a shared probe.</summary>
internal sealed class ScriptedHandler(Probe probe) : IJobHandler<Work>
{
    public Task HandleAsync(Work args, JobContext context) => probe.Run(args, context);
}

internal sealed class Probe
{
    public Func<Work, JobContext, Task> Run { get; set; } = (_, _) => Task.CompletedTask;
    public ConcurrentQueue<(long Id, int Attempt)> Calls { get; } = new();
}

public sealed class EngineTests
{
    private static Task<EngineHarness> Start(Probe probe, Action<PacerOptions>? options = null, Action<JobKindOptions>? kind = null, bool start = true) =>
        EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work", k => { k.MaxAttempts = 3; kind?.Invoke(k); });
            },
            options,
            start);

    private static Func<Work, JobContext, Task> Recording(Probe probe, Func<Work, JobContext, Task> body) => (w, c) =>
    {
        probe.Calls.Enqueue((c.JobId, c.Attempt));
        return body(w, c);
    };

    [Fact]
    public async Task Enqueue_HandlerSucceeds_JobCompletes()
    {
        var probe = new Probe();
        probe.Run = Recording(probe, (_, _) => Task.CompletedTask);
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Completed, row.State);
        Assert.Equal(1, row.Attempt);
        Assert.Equal(EngineHarness.Start, row.FinalizedAt);
        Assert.Null(row.LeaseOwner);
        Assert.Single(probe.Calls);
    }

    [Fact]
    public async Task Failure_IsRetriedAfterJitteredBackoff_ThenDiscardedAtMaxAttempts()
    {
        var probe = new Probe();
        probe.Run = Recording(probe, (_, c) => throw new InvalidOperationException($"boom {c.Attempt}"));
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);

        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Retryable, row.State);
        // Full jitter with random 0.5 on a 10 s base: attempt 1 waits 5 s.
        Assert.Equal(EngineHarness.Start.AddSeconds(5), row.ScheduledAt);
        var error = Assert.Single(row.Errors);
        Assert.Equal(1, error.Attempt);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.Type);
        Assert.Equal("boom 1", error.Message);
        Assert.Contains(nameof(EngineTests), error.StackTrace, StringComparison.Ordinal);

        h.Time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Single(probe.Calls); // not due yet

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.retried", 2), TimeSpan.FromMilliseconds(500));
        row = await h.GetAsync(job.Id);
        Assert.InRange(row.Errors[1].At, EngineHarness.Start.AddSeconds(5), EngineHarness.Start.AddSeconds(7));
        Assert.Equal(row.Errors[1].At.AddSeconds(10), row.ScheduledAt); // attempt 2: 20 s ceiling * 0.5

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.discarded", 1), TimeSpan.FromSeconds(1));
        row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Discarded, row.State);
        Assert.Equal(3, row.Attempt);
        Assert.Equal([1, 2, 3], row.Errors.Select(e => e.Attempt));
        Assert.Equal(3, probe.Calls.Count);
    }

    [Fact]
    public async Task PermanentFailure_IsDiscardedAtOnce()
    {
        var probe = new Probe();
        probe.Run = (_, _) => throw new PermanentJobException("account closed");
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.discarded", 1);

        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Discarded, row.State);
        Assert.Equal(1, row.Attempt);
        Assert.Equal("account closed", Assert.Single(row.Errors).Message);
    }

    [Fact]
    public async Task StoredArgsThatNoLongerParse_AreDiscardedAsArgsErrors()
    {
        var probe = new Probe();
        await using var h = await Start(probe);

        // Written around the client, as a job stored by an older version of the code would be.
        var inserted = await h.Store.InsertManyAsync(new InsertManyRequest(
            [new JobInsert { Kind = "work", Args = "[1,2,3]", ScheduledAt = EngineHarness.Start, MaxAttempts = 5 }], EngineHarness.Start), CancellationToken.None);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.discarded", 1), TimeSpan.FromSeconds(1));

        var row = await h.GetAsync(inserted[0].Id);
        Assert.Equal(JobState.Discarded, row.State);
        Assert.Equal(typeof(JobArgsException).FullName, Assert.Single(row.Errors).Type);
    }

    [Fact]
    public async Task Snooze_RunsAgainLaterWithoutUsingAnAttempt()
    {
        var probe = new Probe();
        probe.Run = Recording(probe, (_, c) => c.Attempt == 1 && probe.Calls.Count == 1 ? throw new JobSnoozeException(TimeSpan.FromMinutes(1)) : Task.CompletedTask);
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.snoozed", 1);
        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Scheduled, row.State);
        Assert.Equal(0, row.Attempt);
        Assert.Equal(EngineHarness.Start.AddMinutes(1), row.ScheduledAt);
        Assert.Empty(row.Errors);

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(5));
        row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Completed, row.State);
        Assert.Equal(1, row.Attempt);
        Assert.Equal([1, 1], probe.Calls.Select(c => c.Attempt));
    }

    [Fact]
    public async Task Timeout_FiresTheHandlersToken_AndTheAttemptFails()
    {
        var probe = new Probe();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (_, c) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, c.CancellationToken);
        };
        await using var h = await Start(probe, kind: k => k.Timeout = TimeSpan.FromSeconds(30));

        var job = await h.Client.EnqueueAsync(new Work());
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        h.Time.Advance(TimeSpan.FromSeconds(30));
        await h.WaitForCountAsync("pacer.jobs.retried", 1);

        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Retryable, row.State);
        var error = Assert.Single(row.Errors);
        Assert.Equal(typeof(TimeoutException).FullName, error.Type);
        Assert.Contains("00:00:30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandlerIgnoringCancellation_IsAbandonedAfterGrace_AndItsSlotReclaimed()
    {
        var probe = new Probe();
        var stuck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = Recording(probe, (w, _) =>
        {
            if (w.Name != "stuck")
                return Task.CompletedTask;
            stuck.TrySetResult();
            return release.Task; // ignores its token
        });
        await using var h = await Start(probe, o => o.Concurrency = 1, k => k.Timeout = TimeSpan.FromSeconds(10));

        var first = await h.Client.EnqueueAsync(new Work("stuck"));
        await stuck.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = await h.Client.EnqueueAsync(new Work("next"));

        h.Time.Advance(TimeSpan.FromSeconds(10)); // timeout: token fires, handler ignores it
        h.Time.Advance(TimeSpan.FromSeconds(2));  // grace period over: abandoned
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.Equal(1, h.Count("pacer.jobs.abandoned"));
        Assert.Equal(JobState.Retryable, (await h.GetAsync(first.Id)).State);
        Assert.Equal(JobState.Completed, (await h.GetAsync(second.Id)).State);
        release.SetResult();
    }

    [Fact]
    public async Task Cancel_AvailableJob_NeverStarts()
    {
        var probe = new Probe();
        probe.Run = Recording(probe, (_, _) => Task.CompletedTask);
        await using var h = await Start(probe, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);

        var job = await h.Client.EnqueueAsync(new Work(), new EnqueueOptions { RunIn = TimeSpan.FromMinutes(1) });
        Assert.Equal(CancelResult.Cancelled, await h.Client.CancelAsync(job.Id));
        await h.Host.StartAsync();
        h.Time.Advance(TimeSpan.FromMinutes(2));
        var marker = await h.Client.EnqueueAsync(new Work("marker"));
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.Equal(JobState.Cancelled, (await h.GetAsync(job.Id)).State);
        Assert.Equal([marker.Id], probe.Calls.Select(c => c.Id));
    }

    [Fact]
    public async Task Cancel_RunningJob_FiresItsToken_AndEndsCancelled()
    {
        var probe = new Probe();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (_, c) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, c.CancellationToken);
        };
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CancelResult.CancelRequested, await h.Client.CancelAsync(job.Id));
        await h.WaitForCountAsync("pacer.jobs.cancelled", 1);

        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Cancelled, row.State);
        Assert.NotNull(row.FinalizedAt);
    }

    [Fact]
    public async Task StaleLease_CompletionIsRejected_AndTheRescuedJobIsUntouched()
    {
        var probe = new Probe();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
        };
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // As if this worker had been paused past its lease: the rescuer hands the job back.
        var rescued = await h.Store.RescueExpiredAsync(new RescueRequest(EngineHarness.Start.AddHours(1), 10), CancellationToken.None);
        Assert.Equal(job.Id, Assert.Single(rescued).JobId);

        release.SetResult(); // the zombie now tries to complete
        await h.WaitForCountAsync("pacer.completions.rejected", 1);

        var row = await h.GetAsync(job.Id);
        Assert.Equal(JobState.Retryable, row.State);
        Assert.Equal(0, h.Count("pacer.jobs.completed"));
    }

    [Fact]
    public async Task LeaseExpiresAt_IsTheFetchPlusTheLease_MovesWithEachHeartbeat_AndStopsOnceTheLeaseIsLost()
    {
        var probe = new Probe();
        var started = new TaskCompletionSource<JobContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (_, context) =>
        {
            started.TrySetResult(context);
            await release.Task;
        };
        await using var h = await Start(probe, o =>
        {
            o.LeaseDuration = TimeSpan.FromSeconds(30);
            o.HeartbeatInterval = TimeSpan.FromSeconds(10);
        });

        var job = await h.Client.EnqueueAsync(new Work());
        var context = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(EngineHarness.Start + TimeSpan.FromSeconds(30), context.LeaseExpiresAt); // the clock stood still

        // A heartbeat extends the stored lease, and this process then knows it holds until then.
        await h.AdvanceUntilAsync(EngineHarness.UntilAsync(async () =>
            (await h.GetAsync(job.Id)).LeaseExpiresAt is { } stored && stored > EngineHarness.Start + TimeSpan.FromSeconds(30) && context.LeaseExpiresAt == stored),
            TimeSpan.FromSeconds(1), maxSteps: 30);
        var extended = context.LeaseExpiresAt;

        // Taken back (as if this worker had been paused past it): the next heartbeat finds it lost, and extends nothing.
        await h.Store.RescueExpiredAsync(new RescueRequest(h.Time.GetUtcNow().AddHours(1), 10), CancellationToken.None);
        await h.AdvanceUntilAsync(EngineHarness.UntilAsync(() => Task.FromResult(context.CancellationToken.IsCancellationRequested)), TimeSpan.FromSeconds(1), maxSteps: 30);
        Assert.Equal(extended, context.LeaseExpiresAt);
        release.SetResult();
    }

    [Fact]
    public async Task Start_TakesBackJobsOfThisMachinesStoppedWorkers_AtOnce_AndNoOtherRunningJob()
    {
        var probe = new Probe();
        await using var h = await Start(probe, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);
        var gonePid = await StoppedWorker.ProcessIdAsync();
        var machine = Environment.MachineName;
        string[] owners = [$"{machine}:{gonePid}:dead00", $"{machine}:{Environment.ProcessId}:alive0", $"elsewhere:{gonePid}:far000", "custom-worker"];
        var jobs = new List<long>();
        foreach (var owner in owners)
        {
            var job = await h.Client.EnqueueAsync(new Work(owner));
            var fetched = await h.Store.FetchAsync(new FetchRequest("default", 1, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), owner) { OnlyIds = [job.Id] }, CancellationToken.None);
            Assert.Single(fetched);
            jobs.Add(job.Id);
        }

        await h.Host.StartAsync(); // the clock stands still: no lease runs out
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.Equal(JobState.Completed, (await h.GetAsync(jobs[0])).State);
        Assert.Contains("process has stopped", Assert.Single((await h.GetAsync(jobs[0])).Errors).Message, StringComparison.Ordinal);
        Assert.All(jobs.Skip(1), id => Assert.Equal(JobState.Running, h.GetAsync(id).GetAwaiter().GetResult().State));
        Assert.Equal(1, h.Count("pacer.jobs.rescued"));
    }

    [Fact]
    public async Task Leader_TakesBackJobsOfAWorkerOfThisMachineThatStopped_WhileItRuns_WithinAHeartbeatNotALease()
    {
        var probe = new Probe();
        await using var h = await Start(probe, o => o.MaintenanceInterval = TimeSpan.FromSeconds(1));
        var gonePid = await StoppedWorker.ProcessIdAsync();
        // A job another process of this machine held when it was killed, after this worker started.
        var job = await h.Client.EnqueueAsync(new Work(), new EnqueueOptions { RunIn = TimeSpan.FromHours(1) });
        var held = await h.Store.FetchAsync(new FetchRequest("default", 1, h.Time.GetUtcNow().AddHours(1), TimeSpan.FromSeconds(30), $"{Environment.MachineName}:{gonePid}:killed") { OnlyIds = [job.Id] }, CancellationToken.None);
        Assert.Single(held);

        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(1), maxSteps: 15);

        var error = Assert.Single((await h.GetAsync(job.Id)).Errors);
        Assert.Contains("process has stopped", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("box:123:abc123", true)]
    [InlineData("box:124:abc123", false)] // running
    [InlineData("box:7:abc123", false)] // this process
    [InlineData("other:123:abc123", false)]
    [InlineData("box:x:abc123", false)]
    [InlineData("box:123", false)]
    [InlineData("my-worker", false)]
    [InlineData("a:box:123:abc123", false)]
    public void StoppedWorkers_JudgeOnlyThisMachinesDefaultIds(string owner, bool stopped) =>
        Assert.Equal(stopped, Pacer.Engine.StoppedWorkers.HasStopped(owner, "box", 7, pid => pid == 124));

    [Fact]
    public async Task Start_WithRescueStoppedWorkersOff_LeavesThemToTheirLeases()
    {
        var probe = new Probe();
        await using var h = await Start(probe, options: o => o.RescueStoppedWorkers = false, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);
        var owner = $"{Environment.MachineName}:{int.MaxValue}:dead00";
        var job = await h.Client.EnqueueAsync(new Work());
        Assert.Single(await h.Store.FetchAsync(new FetchRequest("default", 1, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), owner) { OnlyIds = [job.Id] }, CancellationToken.None));

        await h.Host.StartAsync();

        Assert.Equal(JobState.Running, (await h.GetAsync(job.Id)).State);
        Assert.Equal(0, h.Count("pacer.jobs.rescued"));
    }

    [Fact]
    public async Task UniqueKey_SecondEnqueueWhileUnfinished_ReturnsTheFirstJob()
    {
        var probe = new Probe();
        await using var h = await Start(probe, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);
        var options = new EnqueueOptions { UniqueKey = "sync:channel-1", RunIn = TimeSpan.FromMinutes(5) };

        var first = await h.Client.EnqueueAsync(new Work(), options);
        var second = await h.Client.EnqueueAsync(new Work(), options);

        Assert.False(first.Existing);
        Assert.True(second.Existing);
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task UniqueKey_AfterTheFirstJobFinished_EnqueuesANewOne()
    {
        var probe = new Probe();
        await using var h = await Start(probe);
        var options = new EnqueueOptions { UniqueKey = "digest" };

        var first = await h.Client.EnqueueAsync(new Work(), options);
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
        var second = await h.Client.EnqueueAsync(new Work(), options);

        Assert.False(second.Existing);
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task QueueConcurrency_IsNeverExceeded()
    {
        var probe = new Probe();
        var running = 0;
        var peak = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (_, _) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await gate.Task;
            Interlocked.Decrement(ref running);
        };
        await using var h = await Start(probe, o => { o.Concurrency = 10; o.Queues["default"] = 3; });

        await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 20).Select(i => new EnqueueRequest("work", "{}"))]);
        while (Volatile.Read(ref running) < 3)
            await Task.Yield();
        gate.SetResult();
        await h.WaitForCountAsync("pacer.jobs.completed", 20);

        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task ExternalEffect_RunsOnceAcrossAttempts()
    {
        var probe = new Probe();
        var effects = 0;
        probe.Run = async (_, c) =>
        {
            var id = await c.Effects.RunAsync("send:1", _ => Task.FromResult(Interlocked.Increment(ref effects)));
            Assert.Equal(1, id);
            if (c.Attempt == 1)
                throw new InvalidOperationException("fails after the effect");
        };
        await using var h = await Start(probe);

        await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(1));

        Assert.Equal(1, effects);
        var record = await h.Store.GetEffectAsync("send:1", CancellationToken.None);
        Assert.Equal(EffectState.Done, record!.State);
        Assert.Equal("1", record.ResultJson);
    }

    [Fact]
    public async Task EffectInDoubt_IsReconciled_NotRepeated()
    {
        var probe = new Probe();
        var sent = 0;
        var reconciled = 0;
        probe.Run = async (_, c) => await c.Effects.RunAsync(
            "send:2",
            _ =>
            {
                Interlocked.Increment(ref sent);
                // The message went out but the acknowledgement was lost: the ledger never hears "done".
                return c.Attempt == 1 ? throw new HttpRequestException("connection reset") : Task.FromResult("msg-1");
            },
            (record, _) =>
            {
                Interlocked.Increment(ref reconciled);
                Assert.Equal(1, record.Attempt);
                return Task.FromResult(Reconciliation<string>.Done("msg-1"));
            });
        await using var h = await Start(probe);

        await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(1));

        Assert.Equal(1, sent);
        Assert.Equal(1, reconciled);
        Assert.Equal("\"msg-1\"", (await h.Store.GetEffectAsync("send:2", CancellationToken.None))!.ResultJson);
    }

    [Fact]
    public async Task EffectInDoubt_WithoutReconciler_DiscardsRatherThanRepeat()
    {
        var probe = new Probe();
        var sent = 0;
        probe.Run = async (_, c) => await c.Effects.RunAsync<int>("send:3", _ =>
        {
            Interlocked.Increment(ref sent);
            throw new HttpRequestException("connection reset");
        });
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.discarded", 1), TimeSpan.FromSeconds(1));

        Assert.Equal(1, sent);
        Assert.Equal(typeof(EffectInDoubtException).FullName, (await h.GetAsync(job.Id)).Errors[^1].Type);
    }

    [Fact]
    public async Task EffectNotDone_IsForgotten_AndTheJobRetriesWithTheInnerFailure()
    {
        var probe = new Probe();
        var tries = 0;
        probe.Run = async (_, c) => await c.Effects.RunAsync("send:4", _ =>
            // The first try never reached the server; nothing happened, so the retry may send.
            Interlocked.Increment(ref tries) == 1
                ? throw new EffectNotDoneException(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)"))
                : Task.FromResult("msg-4"));
        await using var h = await Start(probe);

        var job = await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(1));

        Assert.Equal(2, tries);
        Assert.Equal("\"msg-4\"", (await h.Store.GetEffectAsync("send:4", CancellationToken.None))!.ResultJson);
        var error = Assert.Single((await h.GetAsync(job.Id)).Errors);
        Assert.Equal((typeof(HttpRequestException).FullName, "Connection refused (127.0.0.1:9)"), (error.Type, error.Message));
    }

    [Fact]
    public async Task Record_IsDoneAsSoonAsWritten_AndTheFirstValueStays()
    {
        var probe = new Probe();
        var seen = new ConcurrentQueue<string>();
        probe.Run = async (_, c) =>
        {
            seen.Enqueue(await c.Effects.RecordAsync("needs:5", $"value of attempt {c.Attempt}", keepFor: TimeSpan.FromDays(1)));
            if (c.Attempt == 1)
                throw new InvalidOperationException("fails after recording");
        };
        await using var h = await Start(probe);

        await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(1));

        Assert.Equal(["value of attempt 1", "value of attempt 1"], seen);
        var record = (await h.Store.GetEffectAsync("needs:5", CancellationToken.None))!;
        Assert.Equal((EffectState.Done, 1, "\"value of attempt 1\""), (record.State, record.Attempt, record.ResultJson));
        Assert.Equal(record.DoneAt + TimeSpan.FromDays(1), record.ExpiresAt);
    }

    [Fact]
    public async Task StoreTransactionEffect_WritesExactlyOnce()
    {
        var probe = new Probe();
        probe.Run = async (_, c) =>
        {
            await c.Effects.RunInStoreTransactionAsync("row:1", async (tx, ct) =>
            {
                await using var command = tx.Connection!.CreateCommand();
                command.Transaction = tx;
                command.CommandText = "CREATE TABLE IF NOT EXISTS sink(id TEXT PRIMARY KEY); INSERT INTO sink VALUES ('row-1');";
                return await command.ExecuteNonQueryAsync(ct);
            });
            if (c.Attempt == 1)
                throw new InvalidOperationException("crash after the write");
        };
        await using var h = await Start(probe);

        await h.Client.EnqueueAsync(new Work());
        await h.WaitForCountAsync("pacer.jobs.retried", 1);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 1), TimeSpan.FromSeconds(1));

        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath}");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM sink";
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task TransactionalEnqueue_RolledBack_LeavesNoJob()
    {
        var probe = new Probe();
        await using var h = await Start(probe, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);

        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath}");
        await connection.OpenAsync();
        await using (var rolledBack = (SqliteTransaction)await connection.BeginTransactionAsync())
        {
            await h.Client.EnqueueManyAsync([new EnqueueRequest("work", "{}")], rolledBack);
            await rolledBack.RollbackAsync();
        }
        long committedId;
        await using (var committed = (SqliteTransaction)await connection.BeginTransactionAsync())
        {
            committedId = (await h.Client.EnqueueManyAsync([new EnqueueRequest("work", "{}")], committed))[0].Id;
            await committed.CommitAsync();
        }

        var jobs = await h.Store.ListAsync(new JobQuery(), CancellationToken.None);
        Assert.Equal(committedId, Assert.Single(jobs).Id);
    }

    [Fact]
    public async Task Enqueue_BadArgs_StoresNothing()
    {
        var probe = new Probe();
        await using var h = await Start(probe, start: false);
        await h.Store.MigrateAsync(CancellationToken.None);

        await Assert.ThrowsAsync<JobArgsException>(() => h.Client.EnqueueManyAsync(
            [new EnqueueRequest("work", "{}"), new EnqueueRequest("work", """{"nmae":"typo"}""")]));
        await Assert.ThrowsAsync<JobArgsException>(() => h.Client.EnqueueAsync("unknown-kind", "{}"));

        Assert.Empty(await h.Store.ListAsync(new JobQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task Recurring_EachSlotIsEnqueuedOnce()
    {
        var probe = new Probe();
        probe.Run = Recording(probe, (_, _) => Task.CompletedTask);
        await using var h = await EngineHarness.StartAsync(p =>
        {
            p.Services.AddSingletonProbe(probe);
            p.AddJob<ScriptedHandler, Work>("work");
            p.AddRecurring("every-minute", "* * * * *", "work");
        });

        // The fake clock starts on a minute boundary: that slot is due at once.
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
        // Many maintenance passes within the first minute, then into the second: one more slot, not one per pass.
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.completed", 2), TimeSpan.FromSeconds(1));

        Assert.InRange(h.Time.GetUtcNow(), EngineHarness.Start.AddMinutes(1), EngineHarness.Start.AddMinutes(1.1));
        Assert.Equal(2, h.Count("pacer.jobs.enqueued"));
        Assert.Equal(EngineHarness.Start.AddMinutes(1), await h.Store.GetLastRecurringSlotAsync("every-minute", CancellationToken.None));
    }

    [Fact]
    public async Task Cleaner_FarBehind_DeletesABatchEveryTick_NotOneAMinute()
    {
        var probe = new Probe();
        probe.Run = (_, _) => Task.CompletedTask;
        await using var h = await EngineHarness.StartAsync(p =>
        {
            p.Services.AddSingletonProbe(probe);
            p.AddJob<ScriptedHandler, Work>("work");
        }, o => o.FinalizedRetention = TimeSpan.FromHours(1));
        const int jobs = 25_000;
        for (var i = 0; i < jobs; i += 1000)
            await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, 1000).Select(_ => new EnqueueRequest("work", "{}"))]);
        await h.WaitForCountAsync("pacer.jobs.completed", jobs);
        // Past retention by a second: the jobs finished at Start, and the cutoff is exclusive.
        h.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var retentionOver = h.Time.GetUtcNow();

        // 25,000 finished jobs are three of the cleaner's batches: a busy engine finishes more than one batch a minute,
        // so a cleaner that only ran once a minute would never catch up.
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.cleaned", jobs), TimeSpan.FromSeconds(1), maxSteps: 300);

        Assert.InRange(h.Time.GetUtcNow() - retentionOver, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(jobs, h.Count("pacer.jobs.cleaned"));
        Assert.Empty(await h.Store.ListAsync(new JobQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task Cleaner_DeletesEffectsPastTheirKeepFor_KeepsTheOthersForGood_AndOldCachedAnswers()
    {
        var probe = new Probe();
        probe.Run = async (w, c) =>
        {
            await c.Effects.RunAsync($"run:{w.Name}:summary", _ => Task.FromResult(1), keepFor: TimeSpan.FromDays(2));
            await c.Effects.RunAsync($"mail:{w.Name}", _ => Task.FromResult(2));
        };
        await using var h = await Start(probe, o => o.HttpCacheRetention = TimeSpan.FromDays(1));
        await h.Store.PutHttpCacheAsync(new Storage.HttpCacheEntry("k", "https://api.example.org/v1/items", "\"e\"", null, 200, "{}", [1], EngineHarness.Start), CancellationToken.None);
        await h.Client.EnqueueAsync("work", """{"name":"a"}""");
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
        var summary = await h.Store.GetEffectAsync("run:a:summary", CancellationToken.None);
        Assert.Equal(EngineHarness.Start.AddDays(2), summary!.ExpiresAt);

        await h.AdvanceUntilAsync(Task.Delay(200), TimeSpan.FromHours(12), maxSteps: 3); // a day and a half: kept
        Assert.NotNull(await h.Store.GetEffectAsync("run:a:summary", CancellationToken.None));
        await EngineHarness.UntilAsync(async () => await h.Store.GetHttpCacheAsync("k", CancellationToken.None) is null); // past its day
        await h.AdvanceUntilAsync(Task.Delay(200), TimeSpan.FromHours(12), maxSteps: 2); // past two days: deleted
        await EngineHarness.UntilAsync(async () => await h.Store.GetEffectAsync("run:a:summary", CancellationToken.None) is null);

        Assert.NotNull(await h.Store.GetEffectAsync("mail:a", CancellationToken.None));
    }

    [Fact]
    public async Task JobEffects_KeepForNotPositive_IsRefused()
    {
        var probe = new Probe();
        Exception? error = null;
        probe.Run = async (_, c) =>
        {
            error = await Record.ExceptionAsync(() => c.Effects.RunAsync("k", _ => Task.FromResult(1), keepFor: TimeSpan.Zero));
        };
        await using var h = await Start(probe);
        await h.Client.EnqueueAsync("work", "{}");
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        Assert.IsType<ArgumentOutOfRangeException>(error);
        Assert.Null(await h.Store.GetEffectAsync("k", CancellationToken.None));
    }

    [Fact]
    public async Task Shutdown_WaitsForRunningJobs_ThenCancelsAndPutsThemBack()
    {
        var probe = new Probe();
        var started = new CountdownEvent(2);
        var quickRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (w, c) =>
        {
            started.Signal();
            if (w.Name == "quick")
                await quickRelease.Task;
            else
                await Task.Delay(Timeout.Infinite, c.CancellationToken);
        };
        var h = await Start(probe);
        var quick = await h.Client.EnqueueAsync(new Work("quick"));
        var slow = await h.Client.EnqueueAsync(new Work("slow"));
        while (started.CurrentCount > 0)
            await Task.Yield();

        var stopping = h.Host.StopAsync(CancellationToken.None);
        quickRelease.SetResult();
        await h.WaitForCountAsync("pacer.jobs.completed", 1);
        // Move the clock until the shutdown timeout has passed and the slow job's token fired; the engine arms
        // that timeout once fetching has stopped, which the test cannot observe directly.
        for (var i = 0; i < 100 && !stopping.IsCompleted; i++)
        {
            h.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(stopping, Task.Delay(50));
        }
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Completed, (await h.GetAsync(quick.Id)).State);
        var back = await h.GetAsync(slow.Id);
        // Snoozed: runs again, no attempt used. It is due at once, so the maintenance pass, which may still run while the
        // host stops, can already have made it available.
        Assert.Contains(back.State, new[] { JobState.Scheduled, JobState.Available });
        Assert.Null(back.FinalizedAt);
        Assert.Equal(0, back.Attempt);
        await h.DisposeAsync();
    }

    [Fact]
    public async Task Execution_SpanLinksToTheEnqueuingSpan()
    {
        using var source = new ActivitySource("Pacer.Tests.Enqueuer");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is PacerTelemetryNames.ActivitySource or "Pacer.Tests.Enqueuer",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var probe = new Probe();
        await using var h = await Start(probe);

        ActivityTraceId enqueuer;
        long id;
        using (var parent = source.StartActivity("enqueue"))
        {
            enqueuer = parent!.TraceId;
            id = (await h.Client.EnqueueAsync(new Work())).Id;
        }
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        var span = spans.Single(s => s.Source.Name == PacerTelemetryNames.ActivitySource && Equals(s.GetTagItem("pacer.job.id"), id));
        Assert.Equal(enqueuer, Assert.Single(span.Links).Context.TraceId);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

internal static class ProbeRegistration
{
    public static void AddSingletonProbe(this Microsoft.Extensions.DependencyInjection.IServiceCollection services, Probe probe) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, probe);
}

public sealed class UnknownKindTests
{
    [Fact]
    public async Task UnknownKind_IsPutBackWithoutUsingAnAttempt()
    {
        await using var h = await EngineHarness.StartAsync(_ => { });
        var inserted = await h.Store.InsertManyAsync(new InsertManyRequest(
            [new JobInsert { Kind = "someone-elses-kind", Args = "{}", ScheduledAt = EngineHarness.Start, MaxAttempts = 1 }], EngineHarness.Start), CancellationToken.None);
        await h.AdvanceUntilAsync(h.WaitForCountAsync("pacer.jobs.snoozed", 1), TimeSpan.FromSeconds(1));

        var row = await h.GetAsync(inserted[0].Id);
        Assert.Equal(JobState.Scheduled, row.State);
        Assert.Equal(0, row.Attempt);
        // A minute after it was put back; the harness moves the clock in steps while it waits for the counter, so the
        // moment itself lies between the start and now.
        Assert.InRange(row.ScheduledAt, EngineHarness.Start.AddMinutes(1), h.Time.GetUtcNow().AddMinutes(1));
    }
}
