namespace Pacer.Storage;

/// <summary>
/// Optional part of the store contract, for stores whose database can push notices between processes (PostgreSQL's
/// LISTEN/NOTIFY): the engine listens while it runs, so an enqueue in one process wakes idle producers in every other
/// process at once instead of at their next poll. A store that implements it says so with
/// <see cref="StoreCapabilities.SupportsListenNotify"/>; without it producers simply poll, as they always also do.
/// </summary>
public interface IJobStoreNotifications
{
    /// <summary>
    /// Listens until <paramref name="cancellationToken"/> fires, calling <paramref name="onWork"/> with a queue name
    /// each time jobs of that queue became available in any process, and with null whenever notices may have been
    /// missed (once listening starts, which covers everything before): then every queue should look for work.
    /// </summary>
    /// <remarks>
    /// <paramref name="onWork"/> must be quick and must not throw (it only sets a flag). A lost connection ends the
    /// call with its exception; the caller listens again after a pause. Returns normally only when cancelled.
    /// </remarks>
    Task ListenAsync(Action<string?> onWork, CancellationToken cancellationToken);
}
