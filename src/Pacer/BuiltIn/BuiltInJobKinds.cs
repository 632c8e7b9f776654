namespace Pacer.BuiltIn;

/// <summary>The names of the job kinds that <c>AddBuiltInJobs()</c> registers; they work with no user code.</summary>
public static class BuiltInJobKinds
{
    /// <summary>Calls an HTTP endpoint (<see cref="HttpJobArgs"/>).</summary>
    public const string Http = "http";

    /// <summary>Does nothing and completes (<see cref="NoopJobArgs"/>); useful to test a deployment or measure the engine.</summary>
    public const string Noop = "noop";

    /// <summary>Waits, then completes (<see cref="SleepJobArgs"/>); useful to test timeouts, cancellation and shutdown.</summary>
    public const string Sleep = "sleep";
}
