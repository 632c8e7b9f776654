namespace Pacer.ChannelSync;

/// <summary>What a run's plan decided, kept in the effects ledger under <c>channel-sync:RUN:plan</c>.</summary>
public sealed record SyncPlanRecord(IReadOnlyList<string> Unknown, IReadOnlyList<long> ChannelJobs, int Channels);

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
    IReadOnlyList<string> Destinations);

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
    /// How long a run's records (plan, channels, summary) are kept once written. They serve the run's finish job and
    /// whoever reads its summary, and name a run that never comes again, so kept for good they would only grow the
    /// effects ledger (a thousand rows a run). Long enough for a run that a used-up quota holds back for days.
    /// </summary>
    public static TimeSpan KeptFor { get; } = TimeSpan.FromDays(30);
}
