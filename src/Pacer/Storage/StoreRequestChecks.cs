namespace Pacer.Storage;

/// <summary>
/// The argument rules of the store contract, written once for every store: a store calls these before it touches its
/// database, so a bad request fails the same way (same exception, same message) on SQLite, PostgreSQL or a store of
/// your own. The conformance suite pins them.
/// </summary>
public static class StoreRequestChecks
{
    public static void Insert(InsertManyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Jobs);
        for (var i = 0; i < request.Jobs.Count; i++)
        {
            var job = request.Jobs[i] ?? throw new ArgumentException($"Jobs[{i}] is null.", nameof(request));
            if (string.IsNullOrEmpty(job.Kind) || string.IsNullOrEmpty(job.Queue) || job.Args is null)
                throw new ArgumentException($"Jobs[{i}] needs a kind, a queue and args.", nameof(request));
            if (job.MaxAttempts < 1)
                throw new ArgumentException($"Jobs[{i}].MaxAttempts is {job.MaxAttempts}; it must be at least 1.", nameof(request));
        }
    }

    public static void Fetch(FetchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Queue, nameof(request));
        ArgumentException.ThrowIfNullOrEmpty(request.Owner, nameof(request));
        // Refused rather than passed on: a negative LIMIT means "no limit" to SQLite, which would claim the whole queue.
        ArgumentOutOfRangeException.ThrowIfNegative(request.Limit, nameof(request));
        if (request.LeaseDuration <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(request), request.LeaseDuration, "FetchRequest.LeaseDuration must be positive.");
    }

    public static void Completions(IReadOnlyList<JobCompletion> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        for (var i = 0; i < completions.Count; i++)
        {
            var completion = completions[i] ?? throw new ArgumentException($"completions[{i}] is null.", nameof(completions));
            if (!Enum.IsDefined(completion.Kind))
                throw new ArgumentException($"completions[{i}] has unknown kind {(int)completion.Kind}.", nameof(completions));
            if (completion.Kind is CompletionKind.Retry or CompletionKind.Snooze && completion.RunAt is null)
                throw new ArgumentException($"completions[{i}] ({completion.Kind} of job {completion.JobId}) needs RunAt.", nameof(completions));
        }
    }

    public static void Effect(EffectRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Key, nameof(request));
    }
}
