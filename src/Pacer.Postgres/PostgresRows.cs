using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using Pacer.Storage;

namespace Pacer.Postgres;

/// <summary>How jobs, times and JSON columns are written to and read from rows, and the parameters that carry them.</summary>
internal static class PostgresRows
{
    /// <summary>Every job column, in the order <see cref="ReadJob"/> expects.</summary>
    public const string Columns =
        "id, kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, attempted_at, finalized_at, " +
        "timeout_ticks, tags, claims, unique_key, errors, trace_parent, lease_owner, lease_expires_at, cancel_requested, " +
        "waiting_on, wait_reason, wait_until";

    /// <summary>Ordinal of the first column after <see cref="Columns"/>, for queries that select more.</summary>
    public const int ColumnCount = 24;

    public const string FinalStates = "('completed', 'cancelled', 'discarded')";

    public const string DueStates = "('available', 'scheduled', 'retryable')";

    public const string EmptyArray = "[]";

    public static JobRecord ReadJob(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Kind = r.GetString(1),
        Queue = r.GetString(2),
        Priority = r.GetInt32(3),
        Args = r.GetString(4),
        State = JobStates.ParseWire(r.GetString(5)),
        Attempt = r.GetInt32(6),
        MaxAttempts = r.GetInt32(7),
        ScheduledAt = Time(r, 8),
        CreatedAt = Time(r, 9),
        AttemptedAt = TimeOrNull(r, 10),
        FinalizedAt = TimeOrNull(r, 11),
        Timeout = r.IsDBNull(12) ? null : TimeSpan.FromTicks(r.GetInt64(12)),
        Tags = r.GetFieldValue<string[]>(13),
        Claims = ClaimsJson.Read(r.GetString(14), PostgresJson.Default.ResourceClaimArray),
        UniqueKey = r.IsDBNull(15) ? null : r.GetString(15),
        Errors = ReadArray(r.GetString(16), PostgresJson.Default.JobErrorArray),
        TraceParent = r.IsDBNull(17) ? null : r.GetString(17),
        LeaseOwner = r.IsDBNull(18) ? null : r.GetString(18),
        LeaseExpiresAt = TimeOrNull(r, 19),
        CancelRequested = r.GetBoolean(20),
        WaitingOn = r.IsDBNull(21) ? null : r.GetString(21),
        WaitReason = r.IsDBNull(22) ? null : r.GetString(22),
        WaitUntil = TimeOrNull(r, 23),
    };

    public static DateTimeOffset Time(NpgsqlDataReader r, int ordinal) => new(r.GetFieldValue<DateTime>(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? TimeOrNull(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Time(r, ordinal);

    public static EffectRecord ReadEffect(NpgsqlDataReader r, int first) => new(
        r.GetString(first),
        r.GetInt64(first + 1),
        r.GetString(first + 2) == "done" ? EffectState.Done : EffectState.Started,
        r.GetInt32(first + 3),
        r.IsDBNull(first + 4) ? null : r.GetString(first + 4),
        Time(r, first + 5),
        TimeOrNull(r, first + 6))
    {
        ExpiresAt = TimeOrNull(r, first + 7),
    };

    public const string EffectColumns = "key, job_id, state, attempt, result, started_at, done_at, expires_at";

    public static string WriteClaims(IReadOnlyList<ResourceClaim>? claims) =>
        claims is null || claims.Count == 0 ? EmptyArray : JsonSerializer.Serialize(claims, PostgresJson.Default.IReadOnlyListResourceClaim);

    public static string WriteError(JobError error) => JsonSerializer.Serialize(error, PostgresJson.Default.JobError);

    // ----- parameters -----

    /// <summary>A timestamptz parameter: the instant in UTC (Npgsql writes only UTC values to timestamptz).</summary>
    public static NpgsqlParameter Time(string name, DateTimeOffset value) => new NpgsqlParameter<DateTime>(name, value.UtcDateTime);

    public static NpgsqlParameter TimeOrNull(string name, DateTimeOffset? value) =>
        value is { } t ? Time(name, t) : new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = DBNull.Value };

    public static NpgsqlParameter Times(string name, DateTime[] values) => new NpgsqlParameter<DateTime[]>(name, values);

    public static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Texts(string name, string?[] values) => new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values };

    public static NpgsqlParameter Jsonb(string name, string value) => new(name, NpgsqlDbType.Jsonb) { Value = value };

    public static NpgsqlParameter Long(string name, long value) => new NpgsqlParameter<long>(name, value);

    public static NpgsqlParameter Longs(string name, long[] values) => new NpgsqlParameter<long[]>(name, values);

    public static NpgsqlParameter Int(string name, int value) => new NpgsqlParameter<int>(name, value);

    public static NpgsqlParameter Ints(string name, int[] values) => new NpgsqlParameter<int[]>(name, values);

    public static NpgsqlParameter Bool(string name, bool value) => new NpgsqlParameter<bool>(name, value);

    /// <summary>An admission candidate: <c>id, claims</c>.</summary>
    public static AdmissionCandidate ReadCandidate(NpgsqlDataReader r) =>
        new(r.GetInt64(0), ClaimsJson.Read(r.GetString(1), PostgresJson.Default.ResourceClaimArray));

    // Most jobs have no claims or errors: skip the parser for them.
    private static T[] ReadArray<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T[]> type) =>
        json == EmptyArray ? [] : JsonSerializer.Deserialize(json, type) ?? [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ResourceClaim[]))]
[JsonSerializable(typeof(IReadOnlyList<ResourceClaim>))]
[JsonSerializable(typeof(JobError[]))]
[JsonSerializable(typeof(JobError))]
internal sealed partial class PostgresJson : JsonSerializerContext;
