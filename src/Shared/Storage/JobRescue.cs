using System.Globalization;
using Pacer.Storage;

namespace Pacer;

/// <summary>The error a rescued job records, in one wording for every store.</summary>
internal static class JobRescue
{
    public static string Message(string? owner, DateTimeOffset expiresAt, RescueRequest request, JobState newState, int attempt, int maxAttempts)
    {
        var holder = owner ?? "an unknown worker";
        var why = expiresAt >= request.Now && owner is not null && request.StoppedOwners.Contains(owner)
            ? $"The lease held by {holder} was taken back before it ran out (at {expiresAt.ToString("O", CultureInfo.InvariantCulture)}): that worker's process has stopped."
            : $"The lease held by {holder} expired at {expiresAt.ToString("O", CultureInfo.InvariantCulture)} without being extended: the worker crashed, stalled, or lost its connection to the store.";
        return why + (newState == JobState.Discarded ? $" No attempts left ({attempt} of {maxAttempts})." : "");
    }
}
