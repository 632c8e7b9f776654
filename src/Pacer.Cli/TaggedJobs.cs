using Pacer.Storage;

namespace Pacer.Cli;

/// <summary>Jobs picked by a tag: a sync's run, a schedule's runs, whatever <c>--tag</c> marked at enqueue.</summary>
internal static class TaggedJobs
{
    private const int Page = 1_000;

    /// <summary>
    /// Cancels every unfinished job carrying the tag: waiting and due ones at once, running ones at their workers' next
    /// heartbeat. Returns how many of each.
    /// </summary>
    public static async Task<(int Cancelled, int Running)> CancelAsync(IPacerClient client, IJobStore store, string tag, CancellationToken cancellationToken)
    {
        int cancelled = 0, running = 0;
        // Newest first, paged by id: a running job stays listed after its cancel is requested, so paging by position
        // would see it again.
        for (long? before = null; ;)
        {
            var page = await store.ListAsync(new JobQuery { States = JobStates.Unfinished, Tag = tag, BeforeId = before, Limit = Page }, cancellationToken);
            foreach (var job in page)
            {
                switch (await client.CancelAsync(job.Id, cancellationToken))
                {
                    case CancelResult.Cancelled:
                        cancelled++;
                        break;
                    case CancelResult.CancelRequested:
                        running++;
                        break;
                    default: // finished (or deleted) since it was listed: nothing to cancel
                        break;
                }
            }
            if (page.Count < Page)
                return (cancelled, running);
            before = page[^1].Id;
        }
    }
}
