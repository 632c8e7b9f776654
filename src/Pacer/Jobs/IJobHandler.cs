namespace Pacer;

/// <summary>Runs jobs of one kind. Registered with <c>AddJob</c>; resolved from a scope per execution.</summary>
/// <typeparam name="TArgs">The JSON arguments type. Validated with DataAnnotations before the handler sees it.</typeparam>
public interface IJobHandler<in TArgs>
{
    /// <summary>
    /// Runs one attempt. Return to complete; throw to fail (retried with backoff unless the exception is a
    /// <see cref="PermanentJobException"/>); throw <see cref="JobSnoozeException"/> to run again later without using an attempt.
    /// Honour <see cref="JobContext.CancellationToken"/>: it fires on timeout, cancel and shutdown.
    /// </summary>
    Task HandleAsync(TArgs args, JobContext context);
}

/// <summary>A failure that retrying cannot fix: the job is discarded at once.</summary>
public class PermanentJobException : Exception
{
    public PermanentJobException() { }
    public PermanentJobException(string message) : base(message) { }
    public PermanentJobException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>Thrown by a handler to run the job again after <see cref="Delay"/> without using an attempt.</summary>
public sealed class JobSnoozeException : Exception
{
    public JobSnoozeException() : this(TimeSpan.FromSeconds(1)) { }
    public JobSnoozeException(string message) : base(message) { }
    public JobSnoozeException(string message, Exception innerException) : base(message, innerException) { }
    public JobSnoozeException(TimeSpan delay) : base($"Snoozed for {delay}.")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Delay = delay;
    }

    public TimeSpan Delay { get; } = TimeSpan.FromSeconds(1);
}

/// <summary>Job arguments failed validation against the kind's args type. Permanent: retrying cannot fix it.</summary>
public sealed class JobArgsException : PermanentJobException
{
    public JobArgsException() { }
    public JobArgsException(string message) : base(message) { }
    public JobArgsException(string message, Exception innerException) : base(message, innerException) { }
}
