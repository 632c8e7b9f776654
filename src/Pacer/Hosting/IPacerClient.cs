using System.Data.Common;

namespace Pacer;

/// <summary>Enqueue and manage jobs. Thread-safe; resolve it from DI.</summary>
public interface IPacerClient
{
    /// <summary>Enqueues one job of the kind registered for <typeparamref name="TArgs"/>.</summary>
    Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues one job by kind name with JSON arguments, validated against the kind's args type.</summary>
    /// <exception cref="JobArgsException">Unknown kind, invalid JSON or arguments failing validation; nothing is stored.</exception>
    Task<EnqueueResult> EnqueueAsync(string kind, string argsJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Enqueues many jobs in one transaction: all are stored or none.</summary>
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<EnqueueRequest> jobs, CancellationToken cancellationToken = default);

    /// <summary>Enqueues inside the caller's open transaction on the store's database: the jobs exist if and only if it commits.</summary>
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<EnqueueRequest> jobs, DbTransaction transaction, CancellationToken cancellationToken = default);

    /// <summary>Cancels a job: a waiting job never starts; a running job's token fires.</summary>
    Task<Storage.CancelResult> CancelAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Makes a finished or retrying job run again now.</summary>
    Task<Storage.RetryResult> RetryAsync(long jobId, CancellationToken cancellationToken = default);

    Task<JobRecord?> GetAsync(long jobId, CancellationToken cancellationToken = default);
}
