using System.Diagnostics;
using Pacer.Bench.Scenarios;
using Pacer.Bench.Systems;

namespace Pacer.Bench.Postgres;

/// <summary>
/// How fast a full queue on PostgreSQL is worked off by 1 or 3 worker processes: jobs enqueued first (untimed), the
/// processes started and made ready (untimed), then told to go at once; timed from "go" to the last body to finish in any
/// of them (Stopwatch timestamps, a system-wide clock on Linux).
/// </summary>
internal sealed class ProcessDrainScenario(PostgresCluster cluster) : IScenario
{
    internal static readonly int[] ProcessCounts = [1, 3];
    internal const int WorkersPerProcess = 10;
    private const int SizingJobs = 300;
    private const double DrainSeconds = 3;
    private const int MaxJobs = 30_000;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private readonly Dictionary<(string System, string Case), int> _jobs = [];

    public string Name => "drain";

    public string Method(BenchSize size) =>
        $"No-op jobs enqueued first (untimed). Then 1 or 3 worker processes (`postgres-worker`, this program), {WorkersPerProcess} " +
        "workers each, are started; each warms up with a drain of 200 jobs on a schema of its own (JIT, connections) and builds " +
        "its system (untimed); then all are told to go at once and start their workers. " +
        "Timed from \"go\" to the last body to finish in any process (each reports its last body's Stopwatch timestamp, a " +
        $"system-wide clock). Sized to last about {DrainSeconds:0} s on each system from an untimed sizing drain of {SizingJobs} jobs " +
        $"(at most {MaxJobs:N0}). Worker start-up (Pacer's engine, Hangfire's server) is inside the timing for both. Afterwards, untimed, the store must record every job as succeeded, or the run fails.";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        foreach (var processes in ProcessCounts)
        {
            var name = $"no-op, {processes} process{(processes == 1 ? "" : "es")} x {WorkersPerProcess} workers";
            yield return new BenchCase(Name, name, async (factory, _, cancellationToken) =>
            {
                var jobs = _jobs.GetValueOrDefault((factory.Name, name), SizingJobs);
                var elapsed = await MeasureAsync(factory, processes, jobs, cancellationToken);
                return [new Figure("drain", jobs / elapsed.TotalSeconds, "jobs/s", Better.Higher) { Detail = $"{jobs:N0} jobs in {elapsed.TotalSeconds:0.00} s" }];
            });
        }
    }

    public async Task PrepareAsync(IReadOnlyList<IJobSystemFactory> systems, Func<BenchCase, IJobSystemFactory, Task<IReadOnlyList<Figure>>> measure, BenchSize size)
    {
        foreach (var benchCase in Cases(size))
        {
            foreach (var system in systems)
            {
                var rate = (await measure(benchCase, system))[0].Value;
                _jobs[(system.Name, benchCase.Name)] = (int)Math.Clamp(rate * DrainSeconds, SizingJobs, MaxJobs);
            }
        }
    }

    private async Task<TimeSpan> MeasureAsync(IJobSystemFactory factory, int processes, int jobs, CancellationToken cancellationToken)
    {
        await using var system = (DroppingSchema)await factory.CreateAsync("", workers: 0);
        await system.FillAsync(JobBody.Noop, jobs);
        var kind = factory is PacerPostgresFactory ? "pacer" : "hangfire";
        var handles = Enumerable.Range(0, processes)
            .Select(i => PostgresWorkerCommand.Handle.Start(kind, cluster.For(system.Schema), system.Schema, WorkersPerProcess, $"{system.Schema}_w{i}"))
            .ToList();
        try
        {
            await Task.WhenAll(handles.Select(h => h.Ready)).WaitAsync(Patience, cancellationToken);
            var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var handle in handles)
            {
                handle.Counted += () =>
                {
                    if (handles.Sum(h => h.Count) >= jobs)
                        allDone.TrySetResult();
                };
            }

            var go = Stopwatch.GetTimestamp();
            await Task.WhenAll(handles.Select(h => h.SendAsync("go")));
            await allDone.Task.WaitAsync(Patience, cancellationToken);
            var reports = await Task.WhenAll(handles.Select(h => h.ReportAsync(TimeSpan.FromSeconds(30))));
            var last = reports.Max(r => r.Last);
            var ran = reports.Sum(r => r.Count);

            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            patience.CancelAfter(Patience);
            var succeeded = await WaitForSucceededAsync(system, jobs, patience.Token);
            if (succeeded != jobs || ran < jobs)
                throw new InvalidOperationException($"{factory.Name}: {jobs} jobs enqueued, {ran} bodies ran, {succeeded} recorded as succeeded.");
            return Stopwatch.GetElapsedTime(go, last);
        }
        finally
        {
            foreach (var handle in handles)
                await handle.DisposeAsync();
        }
    }

    /// <summary>Outcomes are written in batches after the bodies ran: wait until the store has them all (untimed).</summary>
    private static async Task<long> WaitForSucceededAsync(IJobSystem system, int jobs, CancellationToken cancellationToken)
    {
        while (true)
        {
            var succeeded = await system.CountSucceededAsync(cancellationToken);
            if (succeeded >= jobs)
                return succeeded;
            await Task.Delay(100, cancellationToken);
        }
    }
}
