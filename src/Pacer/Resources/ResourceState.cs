using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pacer.Resources;

/// <summary>
/// What a resource remembers between admissions, kept in the store (one row per resource or partition) so that it
/// survives restarts and is shared by every process on the same store. Times are UTC ticks. The store keeps it as
/// opaque JSON; only this class reads or writes it.
/// </summary>
internal sealed class ResourceState
{
    /// <summary>Format version, for a future change of shape.</summary>
    public int V { get; set; } = 1;

    /// <summary>The theoretical arrival time of each rate limit, in the order of the definition's limits.</summary>
    public long[]? Tat { get; set; }

    public QuotaData? Quota { get; set; }

    public BreakerData? Breaker { get; set; }

    public PauseData? Pause { get; set; }

    /// <summary>Concurrency held by code outside jobs (a <see cref="System.Threading.RateLimiting.RateLimiter"/> lease), each with an expiry so a crash cannot leak it.</summary>
    public List<HoldData>? Holds { get; set; }

    /// <summary>Limit signals (429 without Retry-After) in a row, for backing off further each time.</summary>
    public int LimitedStreak { get; set; }

    public static ResourceState Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return new ResourceState();
        return JsonSerializer.Deserialize(json, ResourceStateJson.Default.ResourceState) ?? new ResourceState();
    }

    public string ToJson() => JsonSerializer.Serialize(this, ResourceStateJson.Default.ResourceState);
}

internal sealed class QuotaData
{
    /// <summary>Start of the window <see cref="Used"/> counts in.</summary>
    public long Window { get; set; }

    public long Used { get; set; }

    /// <summary>Set when the server said the quota is exhausted before our count did: nothing is spent until then.</summary>
    public long? ExhaustedUntil { get; set; }
}

internal enum BreakerPhase { Closed, Open, HalfOpen }

internal sealed class BreakerData
{
    public BreakerPhase Phase { get; set; }

    /// <summary>While open: when it half-opens.</summary>
    public long OpenUntil { get; set; }

    /// <summary>Opens since it was last closed by a success, for the growing break.</summary>
    public int Opens { get; set; }

    /// <summary>Start of the current sampling window.</summary>
    public long Window { get; set; }

    public int Successes { get; set; }

    public int Failures { get; set; }

    public int Consecutive { get; set; }

    /// <summary>Expiry of each probe let through while half-open (a probe that never reports frees its place then).</summary>
    public List<long>? Probes { get; set; }
}

internal sealed class PauseData
{
    /// <summary>Null: until resumed.</summary>
    public long? Until { get; set; }

    public string Reason { get; set; } = "";

    /// <summary>Paused by an operator (only a resume ends it) rather than by a signal from the server.</summary>
    public bool Manual { get; set; }
}

internal sealed class HoldData
{
    public string Id { get; set; } = "";

    public int Cost { get; set; }

    public long Expires { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ResourceState))]
internal sealed partial class ResourceStateJson : JsonSerializerContext;
