using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace Pacer.Emulators;

/// <summary>What every emulator can be told: where to listen, its seed, its clock, its latency and its faults.</summary>
public abstract class EmulatorOptions
{
    /// <summary>TCP port on 127.0.0.1. Default 0: a free port chosen by the system (read it from <c>BaseAddress</c>).</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>Seed of the data set and of every fault decision. Default 1. The same seed and the same calls give the same answers.</summary>
    public long Seed { get; set; } = 1;

    /// <summary>Added before every API answer (not the admin endpoints). Default zero. Waited on <see cref="TimeProvider"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Latency { get; set; }

    /// <summary>A further delay drawn uniformly from zero to this value, from the seed. Default zero.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan LatencyJitter { get; set; }

    /// <summary>Injected failures: server errors, 429s, hangs and slow bodies. Default none.</summary>
    [Required]
    public FaultOptions Faults { get; set; } = new();

    /// <summary>The clock of quotas, rate limits, latency and timestamps in data. Default <see cref="TimeProvider.System"/>.</summary>
    [Required]
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging of the emulator's web host. Default: none at all, so test output stays quiet.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}
