using System.Diagnostics;
using Pacer.Bench.Systems;

namespace Pacer.Bench.Scenarios;

/// <summary>How fast one caller can enqueue, one call per job and in batches, with no workers running.</summary>
internal sealed class EnqueueScenario : IScenario
{
    private const int WarmUpJobs = 100;

    public string Name => "enqueue";

    public string Method(BenchSize size) =>
        $"One caller, awaiting each call, no workers running, on an empty store. Single: {size.EnqueueJobs:N0} calls of one job. " +
        $"Batch: {size.EnqueueJobs:N0} jobs in calls of {size.BatchSize} (Hangfire has no batch enqueue). " +
        $"{WarmUpJobs} untimed jobs first, so JIT and connection setup are not counted. Jobs are no-op jobs; the body does not matter here.";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        yield return new BenchCase(Name, "single", (factory, directory, _) => SingleAsync(factory, directory, size));
        yield return new BenchCase(Name, $"batch of {size.BatchSize}", (factory, directory, _) => BatchAsync(factory, directory, size));
    }

    private static async Task<IReadOnlyList<Figure>> SingleAsync(IJobSystemFactory factory, string directory, BenchSize size)
    {
        await using var system = await factory.CreateAsync(directory, workers: 0);
        for (var i = 0; i < WarmUpJobs; i++)
            await system.EnqueueAsync(JobBody.Noop, 0);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < size.EnqueueJobs; i++)
            await system.EnqueueAsync(JobBody.Noop, 0);
        return [Rate(size.EnqueueJobs, clock.Elapsed)];
    }

    private static async Task<IReadOnlyList<Figure>> BatchAsync(IJobSystemFactory factory, string directory, BenchSize size)
    {
        await using var system = await factory.CreateAsync(directory, workers: 0);
        if (!await system.TryEnqueueManyAsync(JobBody.Noop, WarmUpJobs, 0))
            return [];
        var clock = Stopwatch.StartNew();
        for (var done = 0; done < size.EnqueueJobs; done += size.BatchSize)
            await system.TryEnqueueManyAsync(JobBody.Noop, Math.Min(size.BatchSize, size.EnqueueJobs - done), 0);
        return [Rate(size.EnqueueJobs, clock.Elapsed)];
    }

    private static Figure Rate(int jobs, TimeSpan elapsed) => new("enqueue", jobs / elapsed.TotalSeconds, "jobs/s", Better.Higher);
}
