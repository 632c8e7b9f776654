using System.ComponentModel.DataAnnotations;

namespace Pacer.BuiltIn;

/// <summary>Arguments of the <c>sleep</c> kind, e.g. <c>{"milliseconds": 1500}</c>.</summary>
public sealed record SleepJobArgs
{
    /// <summary>How long to wait, 0 to 3,600,000 (one hour). Required.</summary>
    [Required(ErrorMessage = "is required, e.g. {{\"milliseconds\": 1500}}.")]
    [Range(0, 3_600_000, ErrorMessage = "must be between 0 and 3600000 (one hour).")]
    public int? Milliseconds { get; init; }
}

/// <summary>Waits on the engine's clock and the job's token, so timeouts, cancels and shutdown end it at once.</summary>
internal sealed class SleepJobHandler(TimeProvider time) : IJobHandler<SleepJobArgs>
{
    public Task HandleAsync(SleepJobArgs args, JobContext context) =>
        Task.Delay(TimeSpan.FromMilliseconds(args.Milliseconds ?? 0), time, context.CancellationToken);
}
