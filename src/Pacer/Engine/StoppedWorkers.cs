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
        if (OperatingSystem.IsLinux())
        {
            // A killed process whose parent has not reaped it yet is a zombie: gone, though its id still shows (and
            // Process says it has not exited). Where no init reaps orphans (a container's first process often does not),
            // it stays one for good. /proc/PID/stat: "PID (NAME) STATE ...", the name may hold spaces and parentheses.
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            }
            catch (IOException)
            {
                return false; // no process with that id (or it went while we read)
            }
            var end = stat.LastIndexOf(')');
            return end < 0 || end + 2 >= stat.Length || stat[end + 2] is not ('Z' or 'X');
        }
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
