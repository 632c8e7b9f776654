using System.Diagnostics;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// Prints where this process's memory is twice a second (to standard error): resident anonymous, file-backed and shared
/// memory from /proc/self/status, and the GC's committed bytes, heap size and fragmentation after its last collection.
/// </summary>
internal sealed class MemoryTrace : IDisposable
{
    private readonly Timer _timer;

    public MemoryTrace(long origin) =>
        _timer = new Timer(_ => Console.Error.WriteLine(Describe(Stopwatch.GetElapsedTime(origin))), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(500));

    private static string Describe(TimeSpan at)
    {
        var rss = File.Exists("/proc/self/status")
            ? string.Join(", ", File.ReadLines("/proc/self/status").Where(l => l.StartsWith("Rss", StringComparison.Ordinal))
                .Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))))
            : "no /proc";
        var gc = GC.GetGCMemoryInfo();
        return $"memory at {at.TotalSeconds:0.0} s: {rss}; GC committed {gc.TotalCommittedBytes >> 20} MB, heap {gc.HeapSizeBytes >> 20} MB, " +
            $"fragmented {gc.FragmentedBytes >> 20} MB, gen2 collections {GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() >> 20} MB; " +
            $"last GC: gen{gc.Generation}{(gc.Concurrent ? " background" : "")}{(gc.Compacted ? " compacting" : "")}, " +
            "after it (size/fragmented MB) " + string.Join(", ", Enumerable.Range(0, gc.GenerationInfo.Length).Select(g =>
                $"{(g < 3 ? "gen" + g : g == 3 ? "LOH" : "POH")} {gc.GenerationInfo[g].SizeAfterBytes >> 20}/{gc.GenerationInfo[g].FragmentationAfterBytes >> 20}")) +
            $", promoted {gc.PromotedBytes >> 20} MB";
    }

    public void Dispose() => _timer.Dispose();
}
