using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// This benchmark run again as a child process (<c>sync-child ...</c>), so each measurement is a fresh process: its
/// peak resident memory is its own, and nothing (JIT, caches, connection pools) carries over from the one before.
/// </summary>
internal static class ChildProcess
{
    /// <summary>The line a child prints its result on, followed by JSON.</summary>
    public const string ResultMarker = "@result ";

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
        };
        // The runtime settings of the pacer command (src/Pacer.Cli/Pacer.Cli.csproj), whose sync each side stands for.
        info.Environment["DOTNET_TieredPGO"] = "0";
        info.Environment["DOTNET_GCGen0MaxBudget"] = "2000000"; // hex: 32 MB, as System.GC.Gen0MaxBudget there
        // Started as "dotnet Pacer.Bench.dll": the child needs the assembly too.
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
            info.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        info.ArgumentList.Add("sync-child");
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Runs a child to its end and returns its result and the whole process's wall time (start to exit).</summary>
    public static async Task<(T Result, TimeSpan ProcessWall)> RunAsync<T>(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(StartInfo(args)) ?? throw new InvalidOperationException("The child process did not start.");
        process.StandardInput.Close();
        string? result = null;
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith(ResultMarker, StringComparison.Ordinal))
                    result = line[ResultMarker.Length..];
                else
                    Console.WriteLine("    | " + line);
            }
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var wall = Stopwatch.GetElapsedTime(started);
        if (process.ExitCode != 0 || result is null)
            throw new InvalidOperationException($"The child 'sync-child {string.Join(' ', args)}' failed (exit code {process.ExitCode}); see its output above.");
        return (JsonSerializer.Deserialize<T>(result, JsonSerializerOptions.Web)!, wall);
    }

    public static void WriteResult<T>(T result) =>
        Console.WriteLine(ResultMarker + JsonSerializer.Serialize(result, JsonSerializerOptions.Web));

    /// <summary>Peak resident set size of this process so far (VmHWM in /proc/self/status), in bytes; 0 where there is no /proc.</summary>
    public static long PeakRssBytes()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
            return 0;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal))
                continue;
            var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
            return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    /// <summary>User and system CPU time of this process so far.</summary>
    public static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }
}
