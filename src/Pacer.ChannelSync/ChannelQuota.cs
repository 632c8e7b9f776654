namespace Pacer.ChannelSync;

/// <summary>
/// What a channel job reserves of the YouTube quota once its first page says it will page on. A job that runs out of quota
/// halfway keeps nothing of what it fetched (it writes a channel's new videos at once, oldest first, so a destination never
/// holds a gap), and after the reset it pages again from the first page: with a tight quota, jobs that each got partway
/// could spend every day's quota and never finish. Reserved up front, a job starts only what the quota can finish.
/// </summary>
internal sealed class ChannelQuota(IPacerResources resources, string resource)
{
    private const int PageSize = 50;

    /// <summary>
    /// The most calls a first sync of a playlist of <paramref name="totalResults"/> videos makes after its first page: the
    /// other pages, and one lookup per 50 new videos.
    /// </summary>
    public static int RemainingCalls(int totalResults)
    {
        var pages = (Math.Max(totalResults, 1) + PageSize - 1) / PageSize;
        return (pages - 1) + pages;
    }

    public Task ReserveAsync(int calls, CancellationToken cancellationToken) =>
        calls > 0 ? resources.ReserveAsync(resource, calls, cancellationToken) : Task.CompletedTask;
}
