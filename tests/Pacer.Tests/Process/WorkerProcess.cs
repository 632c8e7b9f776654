using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pacer.Tests.Process;

/// <summary>A real Pacer worker process (tests/Pacer.TestWorker) that a test can kill, pause and resume.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly System.Diagnostics.Process _process;

    private WorkerProcess(System.Diagnostics.Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    public static WorkerProcess Start(string database, string log, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(WorkerPath());
        foreach (var arg in (string[])["--db", database, "--log", log, .. extra])
            info.ArgumentList.Add(arg);
        var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("Could not start the test worker.");
        // Drain the pipes so a chatty worker never blocks on a full buffer.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[worker {process.Id}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process);
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Pause() => Signal(SigStop);

    public void Resume() => Signal(SigCont);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            Kill();
        _process.Dispose();
    }

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    private static string WorkerPath()
    {
        // Built next to this test project by its ProjectReference: tests/Pacer.TestWorker/bin/<configuration>/<tfm>/.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var tests = here.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Pacer.TestWorker", "bin", configuration, tfm, "Pacer.TestWorker.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Test worker not built at {path}.");
    }

    private const int SigStop = 19;
    private const int SigCont = 18;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Reads the workers' event logs: one line per event.</summary>
internal static class EventLogFile
{
    /// <summary>All processes' lines: each worker writes to <c>PATH.PID</c>.</summary>
    public static string[] Lines(string path) =>
        [.. Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*").Order(StringComparer.Ordinal).SelectMany(File.ReadAllLines)];

    /// <summary>Waits until a line matching <paramref name="match"/> appears; the workers flush each line as it happens.</summary>
    public static async Task WaitForLineAsync(string path, Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Lines(path).Any(match))
        {
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"No matching line in {path} after {timeout}.");
            await Task.Delay(20);
        }
    }
}
