using System.Diagnostics;
using System.Globalization;

namespace Pacer.Engine;

/// <summary>
/// Whether a lease owner is a worker of this machine whose process is gone. The engine's default worker id is
/// <c>host:pid:suffix</c>; a lease held under another host name, or an id of another shape, is never judged here (its
/// lease runs out as usual). Written here rather than taken from a library: the judgement is about this engine's own
/// id format.
/// </summary>
internal static class StoppedWorkers
{
    public static bool HasStopped(string owner) => HasStopped(owner, Environment.MachineName, Environment.ProcessId, IsRunning);

    internal static bool HasStopped(string owner, string machine, int self, Func<int, bool> isRunning)
    {
        var last = owner.LastIndexOf(':');
        var before = last > 0 ? owner.LastIndexOf(':', last - 1) : -1;
        if (before <= 0 || !owner.AsSpan(0, before).SequenceEqual(machine)
            || !int.TryParse(owner.AsSpan(before + 1, last - before - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            return false;
        return pid != self && !isRunning(pid);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return false; // it exited while we looked
        }
    }
}
