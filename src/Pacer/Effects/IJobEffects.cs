using System.Data.Common;
using Pacer.Storage;

namespace Pacer;

/// <summary>
/// The effects ledger. An effect runs under a key at most once across all attempts, workers and crashes;
/// its result is stored and returned to later attempts instead of running it again. Every write is fenced
/// by the job's lease, so a worker that lost its lease records nothing.
/// </summary>
/// <remarks>
/// Keys are global: use a key that names the effect itself (e.g. <c>telegram:chat:42:digest:2026-11-25</c>). A record is
/// kept for good unless the effect is given a <c>keepFor</c>: then, that long after it was done, the maintenance leader
/// deletes it and the key may run again. Give one to keys that name something that happens once (a run, a day's digest)
/// so the ledger does not grow without end; leave it out for keys that must never run twice.
/// </remarks>
public interface IJobEffects
{
    /// <summary>
    /// Runs an external effect (an HTTP call, a message) once. "Started" is recorded before and "done" after.
    /// If an earlier attempt crashed in between, or the effect threw, <paramref name="reconcile"/> decides what happened;
    /// without one, the job fails permanently with <see cref="EffectInDoubtException"/> rather than risk doing it twice.
    /// An effect that fails in a way that proves it did not happen (the connection was refused) throws
    /// <see cref="EffectNotDoneException"/>: its start is forgotten and the job retries as for any other failure.
    /// </summary>
    /// <param name="keepFor">How long the done record is kept at least; null (the default) keeps it for good.</param>
    Task<T> RunAsync<T>(string key, Func<CancellationToken, Task<T>> effect, EffectReconciler<T>? reconcile = null, TimeSpan? keepFor = null);

    /// <summary>
    /// Runs a write to the job store's own database in the same transaction that records the effect, so the
    /// write happens exactly once. Keep the body short: it holds the store's write lock.
    /// </summary>
    /// <param name="keepFor">How long the done record is kept at least; null (the default) keeps it for good.</param>
    Task<T> RunInStoreTransactionAsync<T>(string key, Func<DbTransaction, CancellationToken, Task<T>> write, TimeSpan? keepFor = null);

    /// <summary>
    /// Records a value of the job's own (what a step did, what it needs next time) under <paramref name="key"/>, once:
    /// the record and its "done" are one write, so a process killed meanwhile leaves it there or not, never in doubt.
    /// The first value recorded under a key stays; a later call returns it and changes nothing. Use this, not
    /// <see cref="RunAsync{T}"/> with a body that only returns the value: that one records "started" first, and a kill
    /// before "done" leaves the record in doubt.
    /// </summary>
    /// <param name="keepFor">How long the record is kept at least; null (the default) keeps it for good.</param>
    Task<T> RecordAsync<T>(string key, T value, TimeSpan? keepFor = null);

    /// <summary>The stored record of an effect, if any.</summary>
    Task<EffectRecord?> GetAsync(string key);
}

/// <summary>Decides the fate of an effect that started but was never recorded as done.</summary>
public delegate Task<Reconciliation<T>> EffectReconciler<T>(EffectRecord record, CancellationToken cancellationToken);

/// <summary>The answer of an <see cref="EffectReconciler{T}"/>.</summary>
public readonly record struct Reconciliation<T>(bool WasDone, T? Result)
{
    /// <summary>The effect did happen (e.g. the message is visible upstream): record it with this result.</summary>
    public static Reconciliation<T> Done(T result) => new(true, result);

    /// <summary>The effect did not happen, running it again is safe.</summary>
    public static Reconciliation<T> NotDone() => new(false, default);
}

/// <summary>
/// Thrown by an effect passed to <see cref="IJobEffects.RunAsync{T}"/> when it failed before anything happened outside
/// (a connection refused, a name that did not resolve, a request rejected by a check before it was sent). The ledger
/// forgets the effect's start, so it is not in doubt, and the job fails with <see cref="Exception.InnerException"/>, retried
/// as that failure would be. Throw it only when nothing happened: an effect that may have happened must stay in doubt.
/// </summary>
public sealed class EffectNotDoneException : Exception
{
    public EffectNotDoneException() { }
    public EffectNotDoneException(string message) : base(message) { }
    public EffectNotDoneException(Exception innerException) : base(innerException?.Message, innerException) { }
    public EffectNotDoneException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>An effect started in an earlier attempt and was never recorded done, and no reconciler could settle it.</summary>
public sealed class EffectInDoubtException : PermanentJobException
{
    public EffectInDoubtException() { }
    public EffectInDoubtException(string message) : base(message) { }
    public EffectInDoubtException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The job's lease was lost (rescued or cancelled): this worker may record nothing more for it.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException() { }
    public LeaseLostException(string message) : base(message) { }
    public LeaseLostException(string message, Exception innerException) : base(message, innerException) { }
}
