using System.Diagnostics;
using Pacer.Emulators;

namespace Pacer.ChannelSync.Tests;

/// <summary>
/// <c>pacer sync</c> as a real process, killed with SIGKILL in the middle of a sync and started again: the file it leaves
/// must equal the one an uninterrupted sync writes, row for row (but for the first-seen time), and the second sync goes on
/// with the killed one's run instead of paging every channel again.
/// </summary>
public sealed class KillTests
{
    [Fact]
    public async Task SyncKilledMidWayAndRestarted_WritesWhatAnUninterruptedSyncWrites()
    {
        await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions
        {
            ChannelCount = 12,
            MaxVideosPerChannel = 300,
            Seed = 21,
            // Slow enough that the kill lands while channels are still being paged and written.
            Latency = TimeSpan.FromMilliseconds(40),
        });
        var folder = Directory.CreateTempSubdirectory("pacer-kill-");
        try
        {
            var channels = Path.Combine(folder.FullName, "channels.txt");
            await File.WriteAllLinesAsync(channels, youtube.Channels.Select(c => c.Id));
            var killed = Path.Combine(folder.FullName, "killed");
            var clean = Path.Combine(folder.FullName, "clean");
            Directory.CreateDirectory(killed);
            Directory.CreateDirectory(clean);

            // The interrupted one: killed once rows have started to land, then run again to the end.
            var kills = 0;
            using (var first = Sync(youtube, channels, killed))
            {
                var csv = Path.Combine(killed, "videos.csv");
                var deadline = Stopwatch.StartNew();
                while (!first.HasExited && (!File.Exists(csv) || new FileInfo(csv).Length < 20_000) && deadline.Elapsed < TimeSpan.FromSeconds(60))
                    await Task.Delay(20);
                Assert.False(first.HasExited, "the sync finished before it could be killed; slow the emulator down");
                first.Kill(entireProcessTree: true);
                await first.WaitForExitAsync();
                kills++;
            }
            var partial = File.ReadAllLines(Path.Combine(killed, "videos.csv")).Length - 1;
            var output = new System.Text.StringBuilder();
            using (var second = Sync(youtube, channels, killed, output))
                AssertSucceeded(await ExitCodeAsync(second), output);
            var interruptedUnits = youtube.Counters.UnitsSpent;
            var referenceOutput = new System.Text.StringBuilder();
            using (var reference = Sync(youtube, channels, clean, referenceOutput))
                AssertSucceeded(await ExitCodeAsync(reference), referenceOutput);
            var uninterruptedUnits = youtube.Counters.UnitsSpent - interruptedUnits;

            var afterKill = SyncHarness.ReadCsv(Path.Combine(killed, "videos.csv"));
            var uninterrupted = SyncHarness.ReadCsv(Path.Combine(clean, "videos.csv"));
            Assert.Equal(1, kills);
            Assert.InRange(partial, 1, uninterrupted.Count - 1);
            Assert.Contains("Resuming sync run ", output.ToString(), StringComparison.Ordinal);
            // One run, finished: the killed process's jobs were taken back at once and finished by the second sync, not
            // left to a later process that would page their channels again for nothing.
            await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = Path.Combine(killed, "pacer.db") });
            var jobs = await store.ListAsync(new Pacer.Storage.JobQuery { Limit = 1000 }, CancellationToken.None);
            Assert.Single(jobs.Select(j => SyncKeys.RunOf(j.Tags)).Distinct());
            Assert.All(jobs, job => Assert.Equal(JobState.Completed, job.State));
            Assert.Contains(jobs, job => job.Errors.Any(e => e.Message.Contains("process has stopped", StringComparison.Ordinal)));
            Console.WriteLine($"killed and resumed: {interruptedUnits} units; uninterrupted: {uninterruptedUnits}");
            Assert.Equal(uninterrupted.Keys.Order(), afterKill.Keys.Order());
            foreach (var (id, row) in uninterrupted)
                Assert.Equal(row[..^1], afterKill[id][..^1]); // every column but first_seen_at
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static Process Sync(YouTubeEmulator youtube, string channels, string folder, System.Text.StringBuilder? output = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            CliPath(), "sync", "--channels", channels, "--to", Path.Combine(folder, "videos.csv"),
            "--api-base", youtube.BaseAddress.ToString(), "--db", Path.Combine(folder, "pacer.db"),
        })
            info.ArgumentList.Add(arg);
        info.Environment["PACER_YOUTUBE_API_KEY"] = "test-key";
        // The default lease: a killed worker's jobs are taken back at once by the next process on this machine.
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start pacer.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data is null ? null : $"stderr: {e.Data}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Append(string? line)
        {
            if (line is not null && output is not null)
            {
                lock (output)
                    output.AppendLine(line);
            }
        }
    }

    /// <summary>A failed sync's exit code comes with what it printed, so a failure in CI says why.</summary>
    private static void AssertSucceeded(int exitCode, System.Text.StringBuilder output)
    {
        string printed;
        lock (output)
            printed = output.ToString();
        Assert.True(exitCode == 0, $"pacer sync exited with {exitCode}:{Environment.NewLine}{printed}");
    }

    private static async Task<int> ExitCodeAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    /// <summary>The CLI built next to this test project (same configuration).</summary>
    private static string CliPath()
    {
        var here = AppContext.BaseDirectory; // tests/Pacer.ChannelSync.Tests/bin/CONFIG/net10.0/
        var parts = here.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var configuration = parts[^2];
        var root = Path.GetFullPath(Path.Combine(here, "..", "..", "..", "..", ".."));
        var path = Path.Combine(root, "src", "Pacer.Cli", "bin", configuration, "net10.0", "Pacer.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The pacer CLI was not built at {path}.", path);
    }
}
