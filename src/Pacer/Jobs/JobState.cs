namespace Pacer;

/// <summary>Where a job is in its life. Only the transitions the engine guards are possible.</summary>
public enum JobState
{
    /// <summary>Waiting for its <see cref="JobRecord.ScheduledAt"/> time.</summary>
    Scheduled,
    /// <summary>Due and waiting for a worker.</summary>
    Available,
    /// <summary>Due, but held back until a resource it claims can admit it (see <see cref="JobRecord.WaitReason"/>). Uses no attempt.</summary>
    Waiting,
    /// <summary>Held by a worker under a lease.</summary>
    Running,
    /// <summary>Failed an attempt; will run again at <see cref="JobRecord.ScheduledAt"/>.</summary>
    Retryable,
    /// <summary>Finished successfully (final).</summary>
    Completed,
    /// <summary>Cancelled from outside (final).</summary>
    Cancelled,
    /// <summary>Failed permanently or ran out of attempts (final).</summary>
    Discarded,
}

/// <summary>Helpers over <see cref="JobState"/>.</summary>
public static class JobStates
{
    /// <summary>True for the states a job never leaves on its own.</summary>
    public static bool IsFinal(this JobState state) =>
        state is JobState.Completed or JobState.Cancelled or JobState.Discarded;

    /// <summary>Every state that is not final, for queries such as "what of this run is still to do".</summary>
    public static IReadOnlyList<JobState> Unfinished { get; } =
        [JobState.Scheduled, JobState.Available, JobState.Waiting, JobState.Running, JobState.Retryable];

    /// <summary>The states an operator's retry takes a job from (<see cref="IPacerClient.RetryManyAsync(JobFilter, CancellationToken)"/>): failed for good first.</summary>
    public static IReadOnlyList<JobState> Retriable { get; } =
        [JobState.Discarded, JobState.Retryable, JobState.Cancelled, JobState.Completed];

    /// <summary>The states a retry by filter takes when the filter names none: failed for good.</summary>
    public static IReadOnlyList<JobState> RetriedByDefault { get; } = [JobState.Discarded];

    /// <summary>Lower-case name used in storage, the CLI and JSON.</summary>
    public static string ToWire(this JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Available => "available",
        JobState.Waiting => "waiting",
        JobState.Running => "running",
        JobState.Retryable => "retryable",
        JobState.Completed => "completed",
        JobState.Cancelled => "cancelled",
        JobState.Discarded => "discarded",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };

    /// <summary>Parses a name written by <see cref="ToWire"/>.</summary>
    public static bool TryParseWire(string? value, out JobState state)
    {
        switch (value)
        {
            case "scheduled": state = JobState.Scheduled; return true;
            case "available": state = JobState.Available; return true;
            case "waiting": state = JobState.Waiting; return true;
            case "running": state = JobState.Running; return true;
            case "retryable": state = JobState.Retryable; return true;
            case "completed": state = JobState.Completed; return true;
            case "cancelled": state = JobState.Cancelled; return true;
            case "discarded": state = JobState.Discarded; return true;
            default: state = default; return false;
        }
    }

    /// <summary>Parses a stored state name, failing loudly on anything else.</summary>
    public static JobState ParseWire(string value) =>
        TryParseWire(value, out var state) ? state : throw new FormatException($"Unknown job state '{value}'.");
}
