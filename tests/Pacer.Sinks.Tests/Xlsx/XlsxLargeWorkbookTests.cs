using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Pacer.Sinks.Tests.Xlsx;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeWorkbookCollection
{
    // Measured alone, so that other tests' memory and CPU do not blur the numbers.
    public const string Name = "Large workbook";
}

[Collection(LargeWorkbookCollection.Name)]
public sealed class XlsxLargeWorkbookTests(ITestOutputHelper output) : IDisposable
{
    private const int RowCount = 260_000;
    private const int BatchSize = 5_000;
    // Measured at about 80 MB above the process's size before the run (docs/sinks.md); well under what holding
    // 260,000 rows as objects, or the sheet part uncompressed in memory (about 150 MB of XML), would add.
    private const long PeakGrowthLimit = 300L * 1024 * 1024;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Complete_260000Rows_StreamsWithBoundedMemoryAndReadsBackEveryKey()
    {
        var path = temp.File("videos.xlsx");
        var baseline = PeakResidentBytes.Reset();
        var total = Stopwatch.StartNew();
        // CPU time as well as wall time: on a shared machine the wall time says more about the neighbours.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;

        var stage = Stopwatch.StartNew();
        await using (var sink = TableSinks.Xlsx(path))
        {
            await sink.OpenAsync(Rows.Videos, CancellationToken.None);
            for (var start = 0; start < RowCount; start += BatchSize)
            {
                var batch = Enumerable.Range(start, BatchSize).Select(i => Rows.Video("v" + i.ToString("D7", CultureInfo.InvariantCulture), views: i)).ToList();
                var result = await sink.WriteAsync(batch, CancellationToken.None);
                Assert.Equal(new SinkWriteResult(BatchSize, 0), result);
            }
            var staged = stage.Elapsed;
            stage.Restart();
            await sink.CompleteAsync(CancellationToken.None);
            output.WriteLine($"staged {RowCount:N0} rows in {staged.TotalSeconds:F1} s, wrote the workbook in {stage.Elapsed.TotalSeconds:F1} s");
        }

        stage.Restart();
        var readCpu = Process.GetCurrentProcess().TotalProcessorTime;
        IReadOnlySet<string> keys;
        await using (var reopened = TableSinks.Xlsx(path))
            keys = await reopened.OpenAsync(Rows.Videos, CancellationToken.None);
        output.WriteLine($"read {keys.Count:N0} keys back in {stage.Elapsed.TotalSeconds:F1} s ({(Process.GetCurrentProcess().TotalProcessorTime - readCpu).TotalSeconds:F1} s of CPU)");

        var peak = PeakResidentBytes.Read();
        output.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s ({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU); file {new FileInfo(path).Length / 1024 / 1024} MB; " +
            (peak is null ? "peak memory not measurable here" : $"peak resident memory {peak / 1024 / 1024} MB, {(peak - baseline) / 1024 / 1024} MB above the start"));

        Assert.Equal(RowCount, keys.Count);
        Assert.Contains("v0259999", keys);
        Assert.False(File.Exists(path + ".pending.csv"));
        if (peak is not null && baseline is not null)
            Assert.InRange(peak.Value - baseline.Value, 0, PeakGrowthLimit);
    }

    /// <summary>
    /// The process's peak resident set (VmHWM) on Linux, which can be reset to the current size by writing 5 to
    /// /proc/self/clear_refs; elsewhere there is no such counter and the memory check is skipped.
    /// </summary>
    private static class PeakResidentBytes
    {
        public static long? Reset()
        {
            if (!OperatingSystem.IsLinux())
                return null;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
            return Read();
        }

        public static long? Read()
        {
            if (!OperatingSystem.IsLinux())
                return null;
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
    }
}
