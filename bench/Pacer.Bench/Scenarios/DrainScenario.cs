using System.Diagnostics;
using Pacer.Bench.Systems;

namespace Pacer.Bench.Scenarios;

/// <summary>How fast a full queue is worked off: jobs enqueued first, then workers started, timed until the last body ran.</summary>
internal sealed class DrainScenario : IScenario
{
    internal static readonly int[] WorkerCounts = [1, 10, 50];
    private const int SizingJobs = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    // Jobs per drain for each system and case, from the sizing pass: systems differ a hundredfold, so one count
    // would make the fast ones' drains last milliseconds (mostly start-up) or the slow ones' last minutes.
    private readonly Dictionary<(string System, string Case), int> _jobs = [];

    public string Name => "drain";

    public string Method(BenchSize size) =>
        $"Jobs enqueued first (untimed), then the workers started; timed from starting them until the job bodies' own counter " +
        $"reaches the total (no polling of the store). Each drain is sized to last about {size.DrainSeconds:0.#} s on its system, " +
        $"from an untimed sizing drain of {SizingJobs} jobs per case that also warms up the JIT: at least {SizingJobs}, at most " +
        $"{size.DrainJobs:N0} jobs. Afterwards, untimed, the store must record every job as succeeded, or the run fails.";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        foreach (var body in new[] { JobBody.Noop, JobBody.Delay1Ms })
        {
            foreach (var workers in WorkerCounts)
            {
                var name = $"{(body == JobBody.Noop ? "no-op" : "1 ms async")}, {workers} worker{(workers == 1 ? "" : "s")}";
                yield return new BenchCase(Name, name, async (factory, directory, cancellationToken) =>
                {
                    var jobs = _jobs.GetValueOrDefault((factory.Name, name), SizingJobs);
                    var elapsed = await MeasureAsync(factory, directory, body, workers, jobs, cancellationToken);
                    return [new Figure("drain", jobs / elapsed.TotalSeconds, "jobs/s", Better.Higher) { Detail = $"{jobs:N0} jobs in {elapsed.TotalSeconds:0.00} s" }];
                });
            }
        }
    }

    public async Task PrepareAsync(IReadOnlyList<IJobSystemFactory> systems, Func<BenchCase, IJobSystemFactory, Task<IReadOnlyList<Figure>>> measure, BenchSize size)
    {
        foreach (var benchCase in Cases(size))
        {
            foreach (var system in systems)
            {
                var rate = (await measure(benchCase, system))[0].Value;
                _jobs[(system.Name, benchCase.Name)] = (int)Math.Clamp(rate * size.DrainSeconds, SizingJobs, size.DrainJobs);
            }
        }
    }

    private static async Task<TimeSpan> MeasureAsync(
        IJobSystemFactory factory, string directory, JobBody body, int workers, int jobs, CancellationToken cancellationToken)
    {
        await using var system = await factory.CreateAsync(directory, workers);
        await system.FillAsync(body, jobs);
        var allDone = JobBodies.ExpectDone(jobs);

        var clock = Stopwatch.StartNew();
        await system.StartWorkersAsync();
        await allDone.WaitAsync(Patience, cancellationToken);
        var elapsed = clock.Elapsed;

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(Patience);
        var succeeded = await system.CountSucceededAsync(patience.Token);
        if (succeeded != jobs || JobBodies.Done != jobs)
            throw new InvalidOperationException($"{factory.Name}: {jobs} jobs enqueued, {JobBodies.Done} bodies ran, {succeeded} recorded as succeeded.");
        return elapsed;
    }
}
