using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pacer.Engine;

/// <summary>Sleeps shorter than a millisecond, to within the kernel's timer slack (50 µs by default on Linux).</summary>
/// <remarks>
/// .NET has no such wait: Thread.Sleep, <see cref="Monitor.Wait(object, int)"/> and every wait handle
/// take whole milliseconds, and timers run on the coarse clock. On Linux, <c>clock_nanosleep</c> on the monotonic clock
/// (the one <see cref="Stopwatch"/> reads) does it; elsewhere <see cref="IsSupported"/> is false and callers keep to
/// millisecond waits.
/// </remarks>
internal static class FineSleep
{
    private const int ClockMonotonic = 1;

    private static volatile bool s_supported = OperatingSystem.IsLinux();

    public static bool IsSupported => s_supported;

    /// <summary>Blocks the calling thread for about <paramref name="timestampTicks"/> in <see cref="Stopwatch"/> units.</summary>
    public static void For(long timestampTicks)
    {
        var nanoseconds = (long)(timestampTicks * (1_000_000_000.0 / Stopwatch.Frequency));
        var request = new TimeSpec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
        try
        {
            // An interruption by a signal returns early; the caller's loop measures again and sleeps the rest.
            _ = ClockNanosleep(ClockMonotonic, 0, in request, IntPtr.Zero);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without it: callers go back to whole-millisecond waits, which only cost precision.
            s_supported = false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // DllImport, not LibraryImport: the arguments are blittable, so no marshalling code is needed, and LibraryImport
    // would make the whole assembly compile with unsafe code.
    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockNanosleep(int clock, int flags, in TimeSpec request, IntPtr remain);
}
