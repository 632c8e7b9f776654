namespace Pacer.Bench.Systems;

/// <summary>
/// One job engine on one storage, as a benchmark drives it: enqueue, start workers, stop. A new instance on a new
/// database is made for every measurement, so no run inherits another's rows.
/// </summary>
internal interface IJobSystem : IAsyncDisposable
{
    /// <summary>Enqueues one job with one call, as an application would for a single event.</summary>
    Task EnqueueAsync(JobBody body, long enqueuedAt);

    /// <summary>Enqueues <paramref name="count"/> jobs in one call, or returns false if the system has no batch enqueue.</summary>
    Task<bool> TryEnqueueManyAsync(JobBody body, int count, long enqueuedAt);

    /// <summary>Enqueues <paramref name="count"/> jobs as fast as the system allows, to fill the queue before a drain.</summary>
    Task FillAsync(JobBody body, int count);

    /// <summary>Starts the workers; jobs already enqueued begin to run.</summary>
    Task StartWorkersAsync();

    /// <summary>How many jobs the store records as succeeded (checked after a drain, never timed).</summary>
    Task<long> CountSucceededAsync(CancellationToken cancellationToken);

    /// <summary>Enqueues <paramref name="count"/> no-op jobs due in an hour (untimed set-up of the bulk scenario).</summary>
    Task FillScheduledAsync(int count);

    /// <summary>An operator's "cancel every waiting job": returns how many were cancelled.</summary>
    Task<int> CancelAllAsync();

    /// <summary>An operator's "run every cancelled job again": returns how many were.</summary>
    Task<int> RetryCancelledAsync();
}

/// <summary>Makes fresh instances of one system and says how it is configured, for the report.</summary>
internal interface IJobSystemFactory
{
    /// <summary>Short column name in the results table.</summary>
    string Name { get; }

    /// <summary>The settings used, in a sentence or two, so a reader can judge fairness.</summary>
    string Settings { get; }

    /// <summary>A new system whose store lives under <paramref name="directory"/>, with <paramref name="workers"/> workers once started.</summary>
    Task<IJobSystem> CreateAsync(string directory, int workers);
}
