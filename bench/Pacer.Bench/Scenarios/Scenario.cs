using Pacer.Bench.Systems;

namespace Pacer.Bench.Scenarios;

/// <summary>Which way a figure is better; ratios are turned so that above 1 always means Pacer did better.</summary>
internal enum Better { Higher, Lower }

/// <summary>One number from one measurement, e.g. ("drain", 4210.5, "jobs/s").</summary>
internal sealed record Figure(string Metric, double Value, string Unit, Better Better)
{
    /// <summary>Shown in the progress lines only, e.g. how many jobs a drain had.</summary>
    public string? Detail { get; init; }
}

/// <summary>
/// One measurement that every system runs the same way: it makes its own system (fresh database, its worker count),
/// measures, checks the outcome, and returns figures, or none if the system cannot do it (e.g. no batch enqueue).
/// </summary>
internal sealed record BenchCase(string Scenario, string Name, Func<IJobSystemFactory, string, CancellationToken, Task<IReadOnlyList<Figure>>> MeasureAsync);

/// <summary>
/// A family of cases. To add a scenario (pacing efficiency against a rate-limited resource, another store), add a
/// class that yields its cases and list it in <see cref="EngineCommand"/>; systems and the results table are shared.
/// </summary>
internal interface IScenario
{
    string Name { get; }

    /// <summary>What is measured and how, for the report.</summary>
    string Method(BenchSize size);

    IEnumerable<BenchCase> Cases(BenchSize size);

    /// <summary>
    /// Untimed work before the repetitions, e.g. sizing each case to the system's speed; <paramref name="measure"/>
    /// runs a case as the runner does. Most scenarios need none.
    /// </summary>
    Task PrepareAsync(IReadOnlyList<IJobSystemFactory> systems, Func<BenchCase, IJobSystemFactory, Task<IReadOnlyList<Figure>>> measure, BenchSize size) =>
        Task.CompletedTask;
}

/// <summary>How much work each case does. <see cref="Quick"/> is a smoke run; <see cref="Full"/> the reported one.</summary>
/// <param name="DrainSeconds">How long each drain should last on its system; <paramref name="DrainJobs"/> caps the jobs.</param>
internal sealed record BenchSize(string Name, int EnqueueJobs, int BatchSize, double DrainSeconds, int DrainJobs, int LatencySamples, int Repetitions)
{
    public static BenchSize Full { get; } = new("full", EnqueueJobs: 1_000, BatchSize: 100, DrainSeconds: 1.5, DrainJobs: 50_000, LatencySamples: 100, Repetitions: 3);

    public static BenchSize Quick { get; } = new("quick", EnqueueJobs: 200, BatchSize: 100, DrainSeconds: 0.3, DrainJobs: 2_000, LatencySamples: 20, Repetitions: 1);
}
