using Pacer.Storage;

namespace Pacer;

/// <summary>
/// What an operator's cancel or retry of many jobs does to each (<see cref="IJobStore.CancelManyAsync"/>,
/// <see cref="IJobStore.RetryManyAsync"/>), decided in list order from the jobs as the store's transaction read them:
/// per job the same as the single operation, so a store changes them with one statement per kind of change.
/// </summary>
internal static class BulkChanges
{
    /// <summary>A job as the transaction read it.</summary>
    public readonly record struct Job(JobState State, string? UniqueKey, string Queue);

    /// <param name="jobs">The jobs read (a missing one, or one the store could not lock, is left null for the caller).</param>
    /// <returns>Each id's result, and the running jobs to flag and the others to cancel.</returns>
    public static (CancelResult?[] Results, List<long> Flag, List<long> Cancel) Cancel(IReadOnlyList<long> ids, Dictionary<long, Job> jobs)
    {
        var results = new CancelResult?[ids.Count];
        List<long> flag = [], cancel = [];
        for (var i = 0; i < ids.Count; i++)
        {
            if (!jobs.TryGetValue(ids[i], out var job))
                continue;
            if (job.State.IsFinal())
            {
                results[i] = CancelResult.AlreadyFinal;
            }
            else if (job.State == JobState.Running)
            {
                results[i] = CancelResult.CancelRequested;
                flag.Add(ids[i]);
            }
            else
            {
                results[i] = CancelResult.Cancelled;
                cancel.Add(ids[i]);
                jobs[ids[i]] = job with { State = JobState.Cancelled };
            }
        }
        return (results, flag, cancel);
    }

    /// <summary>The unique keys of the jobs a retry might revive: their unfinished holders decide.</summary>
    public static string[] KeysToCheck(Dictionary<long, Job> jobs) =>
        [.. jobs.Values.Where(job => job.UniqueKey is not null && Revivable(job.State)).Select(job => job.UniqueKey!).Distinct(StringComparer.Ordinal)];

    /// <param name="holders">The unfinished jobs holding each key of <see cref="KeysToCheck"/>, as the transaction read them.</param>
    /// <returns>Each id's result, the jobs to make available, and their queues (to wake).</returns>
    public static (RetryResult?[] Results, List<long> Revive, HashSet<string> Queues) Retry(
        IReadOnlyList<long> ids, Dictionary<long, Job> jobs, Dictionary<string, HashSet<long>> holders)
    {
        var results = new RetryResult?[ids.Count];
        var revive = new List<long>();
        var queues = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            if (!jobs.TryGetValue(id, out var job))
                continue;
            results[i] = job.State switch
            {
                JobState.Running => RetryResult.Running,
                _ when !Revivable(job.State) => RetryResult.AlreadyWaiting,
                // Reviving it would give the key two unfinished jobs: the work already waits under the other.
                _ when job.UniqueKey is { } key && holders.TryGetValue(key, out var holding) && holding.Any(other => other != id) => RetryResult.AlreadyWaiting,
                _ => RetryResult.Retried,
            };
            if (results[i] != RetryResult.Retried)
                continue;
            revive.Add(id);
            queues.Add(job.Queue);
            jobs[id] = job with { State = JobState.Available };
            if (job.UniqueKey is { } taken)
                AddHolder(holders, taken, id);
        }
        return (results, revive, queues);
    }

    /// <summary>Records that job <paramref name="id"/> holds <paramref name="key"/> (as a store reads the holders, and as a revive takes a key).</summary>
    public static void AddHolder(Dictionary<string, HashSet<long>> holders, string key, long id)
    {
        if (!holders.TryGetValue(key, out var set))
            holders[key] = set = [];
        set.Add(id);
    }

    private static bool Revivable(JobState state) => state is JobState.Retryable || state.IsFinal();
}
