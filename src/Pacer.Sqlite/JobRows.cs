using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Pacer.Storage;

namespace Pacer.Sqlite;

/// <summary>How jobs, times and JSON columns are written to and read from rows.</summary>
internal static class JobRows
{
    /// <summary>Every job column, in the order <see cref="Read"/> expects.</summary>
    public const string Columns =
        "id, kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, attempted_at, finalized_at, " +
        "timeout_ticks, tags, claims, unique_key, errors, trace_parent, lease_owner, lease_expires_at, cancel_requested, " +
        "waiting_on, wait_reason, wait_until";

    /// <summary>Ordinal of the first column after <see cref="Columns"/>, for queries that select more.</summary>
    public const int ColumnCount = 24;

    /// <summary>
    /// A finished job. Written as comparisons, not IN (...): the partial indexes say it this way (migration 4 says why),
    /// and a query must say it the same way to use them.
    /// </summary>
    public const string IsFinal = "(state = 'completed' OR state = 'cancelled' OR state = 'discarded')";

    /// <summary>An unfinished job, as the unique-key index says it.</summary>
    public const string IsUnfinished = "state <> 'completed' AND state <> 'cancelled' AND state <> 'discarded'";

    private const string EmptyArray = "[]";

    public static long ToDb(DateTimeOffset time) => time.UtcTicks - DateTime.UnixEpoch.Ticks;

    public static DateTimeOffset FromDb(long value) => new(value + DateTime.UnixEpoch.Ticks, TimeSpan.Zero);

    public static object ToDb(DateTimeOffset? time) => time is { } t ? ToDb(t) : DBNull.Value;

    public static object ToDb(string? value) => value ?? (object)DBNull.Value;

    public static JobRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Kind = r.GetString(1),
        Queue = r.GetString(2),
        Priority = r.GetInt32(3),
        Args = r.GetString(4),
        State = JobStates.ParseWire(r.GetString(5)),
        Attempt = r.GetInt32(6),
        MaxAttempts = r.GetInt32(7),
        ScheduledAt = FromDb(r.GetInt64(8)),
        CreatedAt = FromDb(r.GetInt64(9)),
        AttemptedAt = r.IsDBNull(10) ? null : FromDb(r.GetInt64(10)),
        FinalizedAt = r.IsDBNull(11) ? null : FromDb(r.GetInt64(11)),
        Timeout = r.IsDBNull(12) ? null : TimeSpan.FromTicks(r.GetInt64(12)),
        Tags = ReadArray(r.GetString(13), StoreJson.Default.StringArray),
        Claims = ClaimsJson.Read(r.GetString(14), StoreJson.Default.ResourceClaimArray),
        UniqueKey = r.IsDBNull(15) ? null : r.GetString(15),
        Errors = ReadArray(r.GetString(16), StoreJson.Default.JobErrorArray),
        TraceParent = r.IsDBNull(17) ? null : r.GetString(17),
        LeaseOwner = r.IsDBNull(18) ? null : r.GetString(18),
        LeaseExpiresAt = r.IsDBNull(19) ? null : FromDb(r.GetInt64(19)),
        CancelRequested = r.GetInt64(20) != 0,
        WaitingOn = r.IsDBNull(21) ? null : r.GetString(21),
        WaitReason = r.IsDBNull(22) ? null : r.GetString(22),
        WaitUntil = r.IsDBNull(23) ? null : FromDb(r.GetInt64(23)),
    };

    /// <summary>A candidate of <see cref="SqliteJobStore.ListDueClaimsSql"/>: id and claims.</summary>
    public static AdmissionCandidate ReadCandidate(SqliteDataReader r) =>
        new(r.GetInt64(0), ClaimsJson.Read(r.GetString(1), StoreJson.Default.ResourceClaimArray));

    public static string WriteTags(IReadOnlyList<string>? tags) =>
        tags is null || tags.Count == 0 ? EmptyArray : JsonSerializer.Serialize(tags, StoreJson.Default.IReadOnlyListString);

    public static string WriteClaims(IReadOnlyList<ResourceClaim>? claims) =>
        claims is null || claims.Count == 0 ? EmptyArray : JsonSerializer.Serialize(claims, StoreJson.Default.IReadOnlyListResourceClaim);

    public static string WriteError(JobError error) => JsonSerializer.Serialize(error, StoreJson.Default.JobError);

    public static object WriteErrorOrNull(JobError? error) => error is null ? DBNull.Value : WriteError(error);

    public static EffectRecord ReadEffect(SqliteDataReader r, int first) => new(
        r.GetString(first),
        r.GetInt64(first + 1),
        r.GetString(first + 2) == "done" ? EffectState.Done : EffectState.Started,
        r.GetInt32(first + 3),
        r.IsDBNull(first + 4) ? null : r.GetString(first + 4),
        FromDb(r.GetInt64(first + 5)),
        r.IsDBNull(first + 6) ? null : FromDb(r.GetInt64(first + 6)))
    {
        ExpiresAt = r.IsDBNull(first + 7) ? null : FromDb(r.GetInt64(first + 7)),
    };

    public const string EffectColumns = "key, job_id, state, attempt, result, started_at, done_at, expires_at";

    // Most jobs have no tags, claims or errors: skip the parser for them.
    private static T[] ReadArray<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T[]> type) =>
        json == EmptyArray ? [] : JsonSerializer.Deserialize(json, type) ?? [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(ResourceClaim[]))]
[JsonSerializable(typeof(IReadOnlyList<ResourceClaim>))]
[JsonSerializable(typeof(JobError[]))]
[JsonSerializable(typeof(JobError))]
internal sealed partial class StoreJson : JsonSerializerContext;
