namespace Pacer.Bench.ChannelSync;

/// <summary>The implementations measured side by side.</summary>
internal enum SyncSide
{
    /// <summary>Pacer's channel-sync recipe through the engine, into a CSV file.</summary>
    Pacer,

    /// <summary>The same into a CSV file and an XLSX workbook, as <c>pacer demo</c> does.</summary>
    PacerXlsx,

    /// <summary>A plain sequential loop over HttpClient, as a first script would be written.</summary>
    Naive,
}

internal static class SyncSides
{
    public static readonly SyncSide[] All = [SyncSide.Pacer, SyncSide.PacerXlsx, SyncSide.Naive];

    public static string Name(this SyncSide side) => side switch
    {
        SyncSide.Pacer => "pacer",
        SyncSide.PacerXlsx => "pacer-xlsx",
        _ => "naive",
    };

    public static string Title(this SyncSide side) => side switch
    {
        SyncSide.Pacer => "Pacer (CSV)",
        SyncSide.PacerXlsx => "Pacer (CSV + XLSX)",
        _ => "naive sequential",
    };

    public static bool TryParse(string text, out SyncSide side)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name(), text, StringComparison.OrdinalIgnoreCase))
            {
                side = candidate;
                return true;
            }
        }
        side = default;
        return false;
    }
}

/// <summary>What a sync child measured of itself; calls, 304s and units come from the emulator instead.</summary>
internal sealed record SyncChildResult
{
    /// <summary>From the start of the sync (for Pacer: building the host) until every row is written and the destinations are complete.</summary>
    public required double SyncSeconds { get; init; }

    /// <summary>The process's peak resident set size (VmHWM) at the end.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>User and system CPU time of the whole process.</summary>
    public required double CpuSeconds { get; init; }

    public required int Channels { get; init; }

    public required int ChannelsSynced { get; init; }

    /// <summary>Pacer: channels that found no new video in this run, and the most pages (1 unit each) one of them fetched.</summary>
    public int? UnchangedChannels { get; init; }

    public int? UnchangedMaxUnits { get; init; }

    /// <summary>Pacer: units spent on unchanged channels in all (their page calls; they make no videos.list call).</summary>
    public long? UnchangedUnits { get; init; }

    /// <summary>Pacer: when each job kind ran, from the engine's telemetry (see <see cref="PacerTimeline"/>).</summary>
    public string? Timeline { get; init; }
}
