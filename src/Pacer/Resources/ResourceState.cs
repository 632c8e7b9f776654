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

    /// <summary>Time per permit of each rate limit when <see cref="Tat"/> was written, to carry it over when the limits change.</summary>
    public long[]? Intervals { get; set; }

    public QuotaData? Quota { get; set; }

    /// <summary>
    /// Units the server let through in a quota window before it said the quota was used up, when that was less than the
    /// configured quota: another client spends from the same quota, or the configured figure is more than was granted.
    /// It outlives the window, and reservations are judged against it (<see cref="ResourceDefinition.CheckReservation"/>):
    /// work of many calls that the real budget cannot finish does not start, to be cut off halfway and begun again the
    /// next day. A later refusal sets it again; it is forgotten at <see cref="QuotaObservedUntil"/>.
    /// </summary>
    public long? QuotaObserved { get; set; }

    /// <summary>
    /// When <see cref="QuotaObserved"/> is forgotten: a week after the refusal that set it, or sooner, once single calls
    /// have spent a hundredth of the quota more than it in a window without a refusal (the budget grew again; see
    /// <see cref="ResourceDefinition.Grant"/>). A budget still short is learned again at the next refusal.
    /// </summary>
    public long? QuotaObservedUntil { get; set; }

    public BreakerData? Breaker { get; set; }

    public PauseData? Pause { get; set; }

    /// <summary>Concurrency held by code outside jobs (a <see cref="System.Threading.RateLimiting.RateLimiter"/> lease), each with an expiry so a crash cannot leak it.</summary>
    public List<HoldData>? Holds { get; set; }

    /// <summary>Limit signals (429 without Retry-After) in a row, for backing off further each time.</summary>
    public int LimitedStreak { get; set; }

    /// <summary>When the pause of the last limit signal ended: a signal long enough after it starts a new streak.</summary>
    public long? LimitedUntil { get; set; }

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

    /// <summary>Units spent (not merely reserved) when the server first refused a call in this window.</summary>
    public long? SpentAtRefusal { get; set; }

    /// <summary>Units of the calls the server refused in this window: charged when sent, never spent at the server.</summary>
    public long Refused { get; set; }

    /// <summary>Units reserved and not spent yet, all attempts together.</summary>
    [JsonIgnore]
    public long Unspent => Reserved?.Sum(r => (long)r.Units) ?? 0;

    /// <summary>
    /// Units reserved (counted in <see cref="Used"/>) and not spent yet, per job attempt. Kept here, not only in the
    /// attempt's memory, so that the units of an attempt that never ends (its process killed) go back to the quota when
    /// the job is rescued, rather than staying counted as spent until the window ends.
    /// </summary>
    public List<ReservationData>? Reserved { get; set; }

    public void Reserve(long job, int attempt, int units)
    {
        Used += units;
        Reserved ??= [];
        var index = Reserved.FindIndex(r => r.Job == job && r.Attempt == attempt);
        if (index >= 0)
            Reserved[index].Units += units;
        else
            Reserved.Add(new ReservationData { Job = job, Attempt = attempt, Units = units });
    }

    /// <summary>A call the attempt's reservation paid for: that many units are spent now, no longer reserved.</summary>
    public void Spend(long job, int attempt, int units)
    {
        if (Reserved?.FindIndex(r => r.Job == job && r.Attempt == attempt) is not (>= 0 and var index))
            return;
        Reserved[index].Units -= units;
        if (Reserved[index].Units <= 0)
            RemoveAt(index);
    }

    /// <summary>Gives back what the reservations that match <paramref name="ended"/> did not spend; returns the units.</summary>
    public int ReleaseWhere(Func<ReservationData, bool> ended)
    {
        var units = 0;
        for (var i = (Reserved?.Count ?? 0) - 1; i >= 0; i--)
        {
            if (!ended(Reserved![i]))
                continue;
            units += Reserved[i].Units;
            RemoveAt(i);
        }
        Used = Math.Max(0, Used - units);
        return units;
    }

    private void RemoveAt(int index)
    {
        Reserved!.RemoveAt(index);
        if (Reserved.Count == 0)
            Reserved = null;
    }
}

internal sealed class ReservationData
{
    public long Job { get; set; }

    public int Attempt { get; set; }

    public int Units { get; set; }
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
