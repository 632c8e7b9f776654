namespace Pacer;

/// <summary>The running engine of this process (a hosted service started by the host).</summary>
public interface IPacerEngine
{
    /// <summary>Jobs this process is running now.</summary>
    int RunningCount { get; }

    /// <summary>This process's worker id, written on the leases it holds.</summary>
    string WorkerId { get; }

    /// <summary>
    /// Completes once nothing is left to do now: no job of this process's queues is running (here or elsewhere) or due,
    /// and every outcome is written. Jobs scheduled for later, jobs waiting for a resource and the due jobs of paused
    /// queues stay where they are.
    /// </summary>
    Task WaitUntilDrainedAsync(CancellationToken cancellationToken);
}
