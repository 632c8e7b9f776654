using System.ComponentModel.DataAnnotations;

namespace Pacer.ChannelSync;

/// <summary>
/// Arguments of <c>channel-sync</c>, the job that starts a sync run: which channels, into which destinations.
/// <c>{"channels":["UC...","@name"],"destinations":["videos.xlsx","videos.csv"]}</c>
/// </summary>
public sealed record ChannelSyncArgs : IValidatableObject
{
    [Required(ErrorMessage = "is required: the channels to sync (ids, @handles, URLs, username:NAME or mine).")]
    public required IReadOnlyList<string> Channels { get; init; }

    /// <summary>
    /// Where the videos go. A local file is opened by whichever worker runs the job, in its own current directory: give
    /// absolute paths (<c>TableSinks.Absolute</c> makes them), as <c>pacer sync</c> does.
    /// </summary>
    [Required(ErrorMessage = "is required: where the videos go (out.csv, out.xlsx, sqlite:PATH, sheets:ID/TAB).")]
    public required IReadOnlyList<string> Destinations { get; init; }

    /// <summary>Names the run (its jobs are tagged <c>run:RUN</c>); default: the id of this job.</summary>
    public string? Run { get; init; }

    /// <summary>
    /// The recurring schedule that enqueues this run (<c>pacer sync --every</c> sets it). The run's jobs are tagged
    /// <c>schedule:NAME</c> (tag the run job too, through the schedule's options), and a slot that comes while an earlier run
    /// of the schedule is unfinished (waiting for the quota's reset, say) is skipped: runs never pile up behind one another.
    /// </summary>
    public string? Schedule { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Channels is { Count: 0 })
            yield return new("lists no channel; give at least one.", [nameof(Channels)]);
        if (Destinations is { Count: 0 })
            yield return new("lists no destination; give at least one.", [nameof(Destinations)]);
        foreach (var channel in Channels ?? [])
        {
            if (!ChannelRef.TryParse(channel ?? "", out _))
                yield return new($"has '{channel}', which is not a channel id (UC...), @handle, channel URL, username:NAME or mine.", [nameof(Channels)]);
        }
    }
}

/// <summary>Arguments of <c>channel-sync.channel</c>: one channel's new videos into the run's destinations.</summary>
public sealed record ChannelJobArgs
{
    public required string Run { get; init; }
    public required string ChannelId { get; init; }
    public required string Title { get; init; }
    public required string UploadsPlaylistId { get; init; }
    public required IReadOnlyList<string> Destinations { get; init; }

    /// <summary>
    /// When the run job's attempt that planned this job began: what earlier runs wrote was written before then. Null in
    /// jobs planned by an older version (the job's creation, a little later, stands in).
    /// </summary>
    public DateTimeOffset? PlannedAt { get; init; }
}

/// <summary>Arguments of <c>channel-sync.finish</c>: waits for the run's channel jobs, then completes the destinations.</summary>
public sealed record FinishJobArgs
{
    public required string Run { get; init; }
    public required IReadOnlyList<string> Destinations { get; init; }
}
