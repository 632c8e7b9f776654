using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pacer.Storage;
using Pacer.Testing;

namespace Pacer.Tests.Engine;

/// <summary><see cref="IPacerClient.RetryManyAsync(JobFilter, CancellationToken)"/> and <see cref="IPacerClient.CancelManyAsync(JobFilter, CancellationToken)"/> on a real engine.</summary>
public sealed class BulkOperationsTests
{
    private static Task<EngineHarness> Start(Probe probe, bool start = true) =>
        EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work", k => k.MaxAttempts = 3);
            },
            start: start);

    private static Func<Work, JobContext, Task> FailingFor(Probe probe, string name) => (w, c) =>
    {
        probe.Calls.Enqueue((c.JobId, c.Attempt));
        return w.Name == name ? throw new PermanentJobException("the API refused it") : Task.CompletedTask;
    };

    [Fact]
    public async Task RetryMany_TakesTheDiscardedJobsTheFilterMatches_AndOnlyThose()
    {
        var probe = new Probe();
        probe.Run = FailingFor(probe, "bad");
        await using var h = await Start(probe);
        var tagged = new EnqueueOptions { Tags = ["outage"] };
        var failed = new[]
        {
            await h.Client.EnqueueAsync(new Work("bad"), tagged),
            await h.Client.EnqueueAsync(new Work("bad"), tagged),
        };
        var otherFailed = await h.Client.EnqueueAsync(new Work("bad"));
        var done = await h.Client.EnqueueAsync(new Work("good"), tagged);
        await h.WaitForCountAsync("pacer.jobs.discarded", 3);
        await h.WaitForCountAsync("pacer.jobs.completed", 1);

        probe.Run = FailingFor(probe, "none");
        var result = await h.Client.RetryManyAsync(new JobFilter { Tag = "outage" });
        await h.WaitForCountAsync("pacer.jobs.completed", 3);

        Assert.Equal(new RetryManyResult(2, 0), result);
        foreach (var job in failed)
        {
            var row = await h.GetAsync(job.Id);
            Assert.Equal(JobState.Completed, row.State);
            Assert.Equal(2, row.Attempt); // the failed attempt's error stays, and the retry is an attempt of its own
            Assert.Single(row.Errors);
        }
        Assert.Equal(JobState.Discarded, (await h.GetAsync(otherFailed.Id)).State);
        Assert.Single(probe.Calls, call => call.Id == done.Id); // a completed job is retried only when asked for by state
    }

    [Fact]
    public async Task RetryMany_AJobWhoseUniqueKeyAnotherJobHoldsNow_IsLeftAsItWas()
    {
        var probe = new Probe();
        probe.Run = FailingFor(probe, "bad");
        await using var h = await Start(probe);
        var failed = await h.Client.EnqueueAsync(new Work("bad"), new EnqueueOptions { UniqueKey = "report-42" });
        await h.WaitForCountAsync("pacer.jobs.discarded", 1);
        var again = await h.Client.EnqueueAsync(new Work("good"), new EnqueueOptions { UniqueKey = "report-42", RunIn = TimeSpan.FromHours(1) });

        var result = await h.Client.RetryManyAsync(new JobFilter { Kind = "work" });

        Assert.NotEqual(failed.Id, again.Id);
        Assert.Equal(new RetryManyResult(0, 1), result);
        Assert.Equal(JobState.Discarded, (await h.GetAsync(failed.Id)).State);
        Assert.Equal(JobState.Scheduled, (await h.GetAsync(again.Id)).State);
    }

    [Fact]
    public async Task CancelMany_CancelsWaitingJobs_AndStopsRunningOnes_ThatCarryTheTag()
    {
        var probe = new Probe();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe.Run = async (w, c) =>
        {
            if (w.Name != "block")
                return;
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, c.CancellationToken);
        };
        await using var h = await Start(probe);
        var tagged = new EnqueueOptions { Tags = ["run:1"] };
        var running = await h.Client.EnqueueAsync(new Work("block"), tagged);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var later = await h.Client.EnqueueAsync(new Work(), tagged with { RunIn = TimeSpan.FromHours(1) });
        var untagged = await h.Client.EnqueueAsync(new Work(), new EnqueueOptions { RunIn = TimeSpan.FromHours(1) });

        var result = await h.Client.CancelManyAsync(new JobFilter { Tag = "run:1" });
        await h.WaitForCountAsync("pacer.jobs.cancelled", 1);

        Assert.Equal(new CancelManyResult(1, 1), result);
        Assert.Equal(JobState.Cancelled, (await h.GetAsync(running.Id)).State);
        Assert.Equal(JobState.Cancelled, (await h.GetAsync(later.Id)).State);
        Assert.Equal(JobState.Scheduled, (await h.GetAsync(untagged.Id)).State);
    }

    [Fact]
    public async Task CancelMany_MoreJobsThanAPage_TakesEveryOneOnce()
    {
        var scheduled = await ScheduledAsync(2_345);
        await using var h = scheduled.Engine;
        var jobs = scheduled.Jobs;

        var first = await h.Client.CancelManyAsync(new JobFilter { States = [JobState.Scheduled] });
        var second = await h.Client.CancelManyAsync(new JobFilter { States = [JobState.Scheduled] });

        Assert.Equal(new CancelManyResult(2_345, 0), first);
        Assert.Equal(new CancelManyResult(0, 0), second);
        Assert.Equal(2_345, (await h.Store.ListIdsAsync(new JobQuery { States = [JobState.Cancelled], Limit = 10_000 }, CancellationToken.None)).Count);
        Assert.Equal(jobs.Count, jobs.Select(j => j.Id).Distinct().Count());
    }

    [Fact]
    public async Task CancelMany_ReportsTheTotalsAfterEveryPage()
    {
        await using var h = (await ScheduledAsync(1_200)).Engine;
        var reports = new List<CancelManyResult>();

        var result = await h.Client.CancelManyAsync(new JobFilter { Kind = "work" }, new Inline<CancelManyResult>(reports.Add));

        Assert.Equal([new(500, 0), new(1_000, 0), new(1_200, 0)], reports);
        Assert.Equal(reports[^1], result);
    }

    [Fact]
    public async Task RetryMany_StoppedBetweenPages_LeavesThePagesDoneDone_AndTheRestAsTheyWere()
    {
        await using var h = (await ScheduledAsync(1_200)).Engine;
        await h.Client.CancelManyAsync(new JobFilter { Kind = "work" });
        using var stop = new CancellationTokenSource();
        var reports = new List<RetryManyResult>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Client.RetryManyAsync(new JobFilter { States = [JobState.Cancelled] },
            new Inline<RetryManyResult>(totals =>
            {
                reports.Add(totals);
                stop.Cancel(); // Ctrl+C while the first page is written
            }), stop.Token));

        Assert.Equal([new RetryManyResult(500, 0)], reports);
        Assert.Equal(500, (await h.Store.ListIdsAsync(new JobQuery { States = [JobState.Available], Limit = 10_000 }, CancellationToken.None)).Count);
        Assert.Equal(700, (await h.Store.ListIdsAsync(new JobQuery { States = [JobState.Cancelled], Limit = 10_000 }, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task OperatorChanges_AreLogged_OneLineEach_EvenWhenStoppedPartWay()
    {
        var logs = new LogCapture();
        var scheduled = await ScheduledAsync(700, logs);
        await using var h = scheduled.Engine;
        var jobs = scheduled.Jobs;
        using var stop = new CancellationTokenSource();

        await h.Client.CancelAsync(jobs[0].Id);
        await h.Client.RetryAsync(jobs[0].Id);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Client.CancelManyAsync(new JobFilter { Tag = "bulk" },
            new Inline<CancelManyResult>(_ => stop.Cancel()), stop.Token));

        var said = logs.Lines.Where(line => line.Contains(" Pacer.Engine.PacerClient: ", StringComparison.Ordinal)).Select(line => line.Split(" [")[0]).ToArray();
        Assert.Equal(
        [
            $"Information Pacer.Engine.PacerClient: Job {jobs[0].Id} cancelled from outside (running: False)",
            $"Information Pacer.Engine.PacerClient: Job {jobs[0].Id} retried from outside",
            "Information Pacer.Engine.PacerClient: Cancelled 500 jobs and asked 0 running ones to stop, of those matching states scheduled, available, waiting, running, retryable, tag 'bulk'",
        ], said);
    }

    /// <summary>An engine not started, its database holding <paramref name="count"/> jobs due in an hour, tagged <c>bulk</c>.</summary>
    private static async Task<(EngineHarness Engine, IReadOnlyList<EnqueueResult> Jobs)> ScheduledAsync(int count, LogCapture? logs = null)
    {
        var h = await EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(new Probe());
                p.AddJob<ScriptedHandler, Work>("work", k => k.MaxAttempts = 3);
                if (logs is not null)
                {
                    p.Services.AddSingleton<ILoggerProvider>(logs);
                    p.Services.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Information);
                }
            },
            start: false);
        await h.Store.MigrateAsync(CancellationToken.None);
        var options = new EnqueueOptions { RunIn = TimeSpan.FromHours(1), Tags = ["bulk"] };
        return (h, await h.Client.EnqueueManyAsync([.. Enumerable.Range(0, count).Select(_ => new EnqueueRequest("work", "{}", options))]));
    }

    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    [Theory]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Available)]
    [InlineData(JobState.Waiting)]
    public async Task RetryMany_AStateJobsCannotBeRetriedFrom_IsRefusedNamingTheField(JobState state)
    {
        await using var h = await Start(new Probe(), start: false);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => h.Client.RetryManyAsync(new JobFilter { States = [JobState.Discarded, state] }));

        Assert.Contains($"JobFilter.States: a job waiting to run or running cannot be retried, so '{state.ToWire()}' jobs cannot be retried", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelMany_AFinishedState_IsRefusedNamingTheField()
    {
        await using var h = await Start(new Probe(), start: false);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => h.Client.CancelManyAsync(new JobFilter { States = [JobState.Completed] }));

        Assert.Contains("JobFilter.States: only unfinished jobs can be cancelled, so 'completed' jobs cannot be cancelled", error.Message, StringComparison.Ordinal);
    }
}
