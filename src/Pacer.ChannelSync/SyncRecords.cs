namespace Pacer.ChannelSync;

/// <summary>What a run's plan decided, kept in the effects ledger under <c>channel-sync:RUN:plan</c>.</summary>
/// <param name="ChannelIds">
/// The channel of each of <paramref name="ChannelJobs"/>, in the same order, so the run's finish can find a channel's
/// record after the cleaner deleted its job (a run that a used-up quota held back for longer than
/// <see cref="PacerOptions.FinalizedRetention"/>). Null in plans recorded before it was kept.
/// </param>
public sealed record SyncPlanRecord(IReadOnlyList<string> Unknown, IReadOnlyList<long> ChannelJobs, int Channels, IReadOnlyList<string>? ChannelIds = null);

/// <summary>What one channel job did, kept under <c>channel-sync:RUN:channel:ID</c>.</summary>
public sealed record ChannelRecord(string ChannelId, string Title, int Pages, int PagesFromCache, int NewVideos, int Written, int Duplicates);

/// <summary>A run's totals, kept under <c>channel-sync:RUN:summary</c> once its finish job has completed the destinations.</summary>
public sealed record SyncSummary(
    string Run,
    int Channels,
    int ChannelsSynced,
    IReadOnlyList<string> Unknown,
    IReadOnlyList<string> Failed,
    int Pages,
    int PagesFromCache,
    int NewVideos,
    int Written,
    int Duplicates,
    IReadOnlyList<string> Destinations)
{
    /// <summary>
    /// The channels of <see cref="Failed"/>, in its order, as parts: who, how the job ended and why, so channels that failed
    /// alike can be told together. Null in summaries recorded before it was kept.
    /// </summary>
    public IReadOnlyList<ChannelFailure>? Failures { get; init; }
}

/// <param name="Channel">The channel's title (or its id, when its job is gone).</param>
/// <param name="Ended">How its job ended: "discarded after 2 attempts".</param>
/// <param name="Reason">The last error's message, on one line and cut to a few hundred characters; null when there was none.</param>
public sealed record ChannelFailure(string Channel, string Ended, string? Reason)
{
    /// <summary>As <see cref="SyncSummary.Failed"/> says it: <c>Bold Atlas (discarded after 2 attempts: refused)</c>.</summary>
    public override string ToString() => $"{Channel} ({Ended}{(Reason is null ? "" : ": " + Reason)})";
}

/// <summary>The effect keys of a run, in one place.</summary>
public static class SyncKeys
{
    public static string Plan(string run) => $"channel-sync:{run}:plan";
    public static string Channel(string run, string channelId) => $"channel-sync:{run}:channel:{channelId}";
    public static string Summary(string run) => $"channel-sync:{run}:summary";
    public static string Reservation(string run, string channelId) => $"channel-sync:{run}:reserve:{channelId}";
    public static string Tag(string run) => $"run:{run}";
    public static string ScheduleTag(string schedule) => $"schedule:{schedule}";

    /// <summary>
    /// A tag every job of a run carries that names what it syncs: the same channels (in any order) into the same
    /// destinations give the same tag, so a sync started again after its process was killed finds the run that is still
    /// unfinished and follows it, instead of starting a second one that pages every channel again.
    /// </summary>
    public static string SameSyncTag(IEnumerable<string> channels, IEnumerable<string> destinations)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(destinations);
        var text = string.Join('\n', channels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)) + "\n>\n"
            + string.Join('\n', destinations.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return "sync:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>The run a job belongs to, from its <see cref="Tag"/>; null if it has none.</summary>
    public static string? RunOf(IEnumerable<string> tags) =>
        tags.FirstOrDefault(t => t.StartsWith("run:", StringComparison.Ordinal)) is { } tag ? tag["run:".Length..] : null;

    /// <summary>
    /// How long a run's records (plan, channels, summary) are kept once written. They serve the run's finish job and
    /// whoever reads its summary, and name a run that never comes again, so kept for good they would only grow the
    /// effects ledger (a thousand rows a run). Long enough for a run that a used-up quota holds back for days.
    /// </summary>
    public static TimeSpan KeptFor { get; } = TimeSpan.FromDays(30);
}
