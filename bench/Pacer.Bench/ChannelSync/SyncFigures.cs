namespace Pacer.Bench.ChannelSync;

/// <summary>The two runs of every case: the first sync into an empty directory, then one after new uploads.</summary>
internal enum SyncPhase { First, Incremental }

/// <summary>One side's figures for one phase of one case, as measured (or, for a sampled naive run, as estimated).</summary>
internal sealed record PhaseFigures
{
    public required int Channels { get; init; }
    public required SyncSide Side { get; init; }
    public required SyncPhase Phase { get; init; }

    /// <summary>The sync's own wall time (see <see cref="SyncChildResult.SyncSeconds"/>).</summary>
    public required double SyncSeconds { get; init; }

    /// <summary>The child process from start to exit: runtime start-up, the sync, the host's stop.</summary>
    public required double ProcessSeconds { get; init; }

    /// <summary>API requests the emulator received.</summary>
    public required long Calls { get; init; }

    public required long NotModified { get; init; }

    /// <summary>Quota units the emulator charged.</summary>
    public required long Units { get; init; }

    /// <summary>Rows added to the CSV by this phase, counted from the file.</summary>
    public required long RowsAdded { get; init; }

    /// <summary>Rows whose video id is in the CSV more than once, after this phase.</summary>
    public required long Duplicates { get; init; }

    /// <summary>Videos the emulator has (for the channels synced) that the CSV lacks, after this phase.</summary>
    public required long Missing { get; init; }

    public required double PeakRssMb { get; init; }

    public required double CpuSeconds { get; init; }

    public required double EmulatorCpuSeconds { get; init; }

    /// <summary>Pacer: the most units an unchanged channel cost, and how many channels were unchanged.</summary>
    public int? UnchangedMaxUnits { get; init; }

    public int? UnchangedChannels { get; init; }

    /// <summary>Pacer: when each job kind ran (see <see cref="PacerTimeline"/>).</summary>
    public string? Timeline { get; init; }

    /// <summary>Set when only the first channels were synced; the time, calls and units are then scaled to all of them.</summary>
    public int? SampledChannels { get; init; }
}
