using System.Diagnostics;

namespace Pacer.Bench.Scenarios;

/// <summary>
/// An operator's bulk actions after an outage or a bad deploy: cancel every waiting job, then run every cancelled job
/// again. Runs only when named (<c>--scenario bulk</c>): Hangfire's storages on SQLite take minutes to schedule the jobs.
/// </summary>
internal sealed class BulkScenario : IScenario
{
    public const string ScenarioName = "bulk";

    public string Name => ScenarioName;

    private static int Jobs(BenchSize size) => size == BenchSize.Quick ? 500 : 10_000;

    public string Method(BenchSize size) =>
        $"No workers running: {Jobs(size):N0} no-op jobs due in an hour (enqueued untimed), then every one cancelled, then every " +
        "one run again, each step timed. Pacer: `IPacerClient.CancelManyAsync` and `RetryManyAsync` with a state filter (they " +
        "list the matching ids 500 at a time and change each page in one store transaction). " +
        "Hangfire has no bulk call: its dashboard deletes or requeues the selected jobs one `Delete` or `Requeue` call each, as " +
        "here, one after the other, on the ids scheduling returned (it lists nothing; its lists of deleted jobs are trimmed).";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        var jobs = Jobs(size);
        yield return new BenchCase(Name, $"{jobs:N0} scheduled jobs", async (factory, directory, _) =>
        {
            await using var system = await factory.CreateAsync(directory, workers: 0);
            await system.FillScheduledAsync(jobs);
            var clock = Stopwatch.StartNew();
            var cancelled = await system.CancelAllAsync();
            var cancelTime = clock.Elapsed;
            clock.Restart();
            var retried = await system.RetryCancelledAsync();
            var retryTime = clock.Elapsed;
            if (cancelled != jobs || retried != jobs)
                throw new InvalidOperationException($"{factory.Name} cancelled {cancelled:N0} and retried {retried:N0} of {jobs:N0} jobs.");
            return
            [
                new Figure("cancel all", jobs / cancelTime.TotalSeconds, "jobs/s", Better.Higher) { Detail = $"{cancelTime.TotalSeconds:0.00} s" },
                new Figure("retry all", jobs / retryTime.TotalSeconds, "jobs/s", Better.Higher) { Detail = $"{retryTime.TotalSeconds:0.00} s" },
            ];
        });
    }
}
