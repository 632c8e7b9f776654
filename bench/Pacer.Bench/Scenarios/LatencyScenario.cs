using System.Diagnostics;
using Pacer.Bench.Systems;

namespace Pacer.Bench.Scenarios;

/// <summary>Enqueue-to-start latency on an idle engine: one job at a time, measured inside the job body.</summary>
internal sealed class LatencyScenario : IScenario
{
    private const int Workers = 10;
    private const int WarmUpSamples = 10;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public string Name => "latency";

    public string Method(BenchSize size) =>
        $"{Workers} workers, started {Settle.TotalSeconds:0} s before the first job so the engine is idle. {size.LatencySamples} no-op jobs, " +
        $"one at a time: the caller takes a Stopwatch timestamp, passes it in the job's arguments and enqueues; the body " +
        $"subtracts it from its own timestamp when it starts. The next job is enqueued {Pause.TotalMilliseconds:0} ms after the " +
        $"previous one started. {WarmUpSamples} untimed jobs first.";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        yield return new BenchCase(Name, $"single job, idle, {Workers} workers", (factory, directory, cancellationToken) =>
            MeasureAsync(factory, directory, size.LatencySamples, cancellationToken));
    }

    private static async Task<IReadOnlyList<Figure>> MeasureAsync(IJobSystemFactory factory, string directory, int samples, CancellationToken cancellationToken)
    {
        await using var system = await factory.CreateAsync(directory, Workers);
        await system.StartWorkersAsync();
        await Task.Delay(Settle, cancellationToken);

        var latencies = new double[samples];
        for (var i = -WarmUpSamples; i < samples; i++)
        {
            var started = JobBodies.ExpectStart();
            await system.EnqueueAsync(JobBody.Noop, Stopwatch.GetTimestamp());
            var ticks = await started.WaitAsync(Patience, cancellationToken);
            if (i >= 0)
                latencies[i] = ticks * 1000.0 / Stopwatch.Frequency;
            await Task.Delay(Pause, cancellationToken);
        }
        Array.Sort(latencies);
        return
        [
            new Figure("p50", Percentile(latencies, 0.50), "ms", Better.Lower),
            new Figure("p99", Percentile(latencies, 0.99), "ms", Better.Lower),
        ];
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
