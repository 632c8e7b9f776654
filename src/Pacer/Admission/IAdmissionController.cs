namespace Pacer.Admission;

/// <summary>
/// Decides, before dispatch, which due jobs may start now. Sits between "due" and "running": the producer lists
/// due jobs, asks admission, and claims only the admitted ones, so a job that cannot run uses no attempt.
/// </summary>
public interface IAdmissionController
{
    /// <summary>True when every job is admitted (lets the producer claim in one statement without listing first).</summary>
    bool AdmitsEverything { get; }

    /// <summary>Chooses which of <paramref name="candidates"/> (in dispatch order) start now, at most <paramref name="slots"/>.</summary>
    ValueTask<AdmissionResult> AdmitAsync(IReadOnlyList<JobRecord> candidates, int slots, CancellationToken cancellationToken);

    /// <summary>Returns what an admitted job took (e.g. a concurrency permit) when it finishes or was not claimed after all.</summary>
    void Release(JobRecord job);
}

/// <param name="Admitted">Ids of jobs to start, in dispatch order.</param>
/// <param name="NextCheckAt">When the first refused job could be admitted, if known; the producer looks again then.</param>
public sealed record AdmissionResult(IReadOnlyList<long> Admitted, DateTimeOffset? NextCheckAt);

/// <summary>The default: every job is admitted; resources are not checked.</summary>
internal sealed class AdmitAll : IAdmissionController
{
    public bool AdmitsEverything => true;

    public ValueTask<AdmissionResult> AdmitAsync(IReadOnlyList<JobRecord> candidates, int slots, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new AdmissionResult(candidates.Take(slots).Select(c => c.Id).ToArray(), null));

    public void Release(JobRecord job)
    {
    }
}
