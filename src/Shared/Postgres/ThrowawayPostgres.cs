using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pacer.Shared.Postgres;

/// <summary>
/// What starting a throwaway PostgreSQL cluster on loopback needs from the machine: the installed binaries, a free port,
/// and running a tool (as the postgres user when this process is root, since initdb and the server refuse root).
/// </summary>
internal static class ThrowawayPostgres
{
    /// <summary>The newest installed server's bin folder (Debian's layout), or null when none is installed.</summary>
    public static string? FindBinaries()
    {
        if (!Directory.Exists("/usr/lib/postgresql"))
            return null;
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            .OrderByDescending(d => d, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Task RunAsUserAsync(bool asRoot, string file, params string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    public static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await output}{await error}");
    }
}
