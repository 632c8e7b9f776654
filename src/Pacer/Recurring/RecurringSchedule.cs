using Cronos;

namespace Pacer;

/// <summary>A cron schedule that enqueues one job per slot.</summary>
internal sealed class RecurringSchedule
{
    private RecurringSchedule(string name, CronExpression cron, string cronText, string kind, string argsJson, TimeZoneInfo timeZone, EnqueueOptions? options)
    {
        Name = name;
        CronText = cronText;
        Cron = cron;
        Kind = kind;
        ArgsJson = argsJson;
        TimeZone = timeZone;
        Options = options;
    }

    public string Name { get; }
    public CronExpression Cron { get; }
    public string CronText { get; }
    public string Kind { get; }
    public string ArgsJson { get; }
    public TimeZoneInfo TimeZone { get; }
    public EnqueueOptions? Options { get; }

    /// <summary>
    /// When the schedule was stored (for one kept in the store): no slot before it is run. Without it, the first look
    /// after a schedule made at 10:00:30 with <c>0 * * * *</c> ran the 10:00 slot at once, though the schedule had said
    /// its next run was 11:00.
    /// </summary>
    public DateTimeOffset? NotBefore { get; set; }

    public static RecurringSchedule Create(string name, string cron, string kind, string argsJson, TimeZoneInfo timeZone, EnqueueOptions? options)
    {
        JobKind.ValidateName(name, "recurring schedule");
        ArgumentNullException.ThrowIfNull(cron);
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new ArgumentException($"Recurring schedule '{name}': cron '{cron}' is invalid ({ex.Message}). Use 5 fields (minute hour day month weekday) or 6 with seconds first.", nameof(cron), ex);
        }
        return new RecurringSchedule(name, expression, cron.Trim(), kind, argsJson, timeZone, options);
    }

    /// <summary>The latest slot at or before <paramref name="now"/> that is after <paramref name="after"/>, if any.</summary>
    public DateTimeOffset? LatestDueSlot(DateTimeOffset? after, DateTimeOffset now)
    {
        // Walk forward from the last enqueued slot (or from a minute before now on first sight, but not from before the
        // schedule existed) and keep the newest slot not in the future: missed slots collapse into one run rather than a burst.
        var from = after ?? (NotBefore is { } created && created > now.AddMinutes(-1) ? created : now.AddMinutes(-1));
        DateTimeOffset? latest = null;
        var next = Cron.GetNextOccurrence(from, TimeZone);
        var guard = 0;
        while (next is { } slot && slot <= now && guard++ < 100_000)
        {
            latest = slot;
            next = Cron.GetNextOccurrence(slot, TimeZone);
        }
        return latest;
    }

    /// <summary>The next slot strictly after <paramref name="now"/>.</summary>
    public DateTimeOffset? NextSlot(DateTimeOffset now) => Cron.GetNextOccurrence(now, TimeZone);
}

/// <summary>The enqueue options a stored schedule keeps, as JSON the core alone reads and writes.</summary>
internal sealed record StoredScheduleOptions
{
    public string? Queue { get; init; }
    public int? Priority { get; init; }
    public int? MaxAttempts { get; init; }
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public IReadOnlyList<ResourceClaim>? Claims { get; init; }

    public static string? ToJson(EnqueueOptions? options)
    {
        if (options is null)
            return null;
        if (options.RunAt is not null || options.RunIn is not null || options.UniqueKey is not null)
            throw new ArgumentException("A schedule's options may not set RunAt, RunIn or UniqueKey: the schedule decides when, and each slot is already enqueued once.", nameof(options));
        return System.Text.Json.JsonSerializer.Serialize(new StoredScheduleOptions
        {
            Queue = options.Queue,
            Priority = options.Priority,
            MaxAttempts = options.MaxAttempts,
            Timeout = options.Timeout,
            Tags = options.Tags,
            Claims = options.Claims,
        }, ScheduleJson.Default.StoredScheduleOptions);
    }

    public static EnqueueOptions? FromJson(string? json)
    {
        if (json is null)
            return null;
        var o = System.Text.Json.JsonSerializer.Deserialize(json, ScheduleJson.Default.StoredScheduleOptions) ?? new StoredScheduleOptions();
        return new EnqueueOptions { Queue = o.Queue, Priority = o.Priority, MaxAttempts = o.MaxAttempts, Timeout = o.Timeout, Tags = o.Tags, Claims = o.Claims };
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StoredScheduleOptions))]
internal sealed partial class ScheduleJson : System.Text.Json.Serialization.JsonSerializerContext;

internal sealed class RecurringRegistry
{
    private readonly Dictionary<string, RecurringSchedule> _schedules = new(StringComparer.Ordinal);

    public IReadOnlyCollection<RecurringSchedule> All => _schedules.Values;

    public void Add(RecurringSchedule schedule)
    {
        if (!_schedules.TryAdd(schedule.Name, schedule))
            throw new InvalidOperationException($"Recurring schedule '{schedule.Name}' is registered twice.");
    }

    public bool Contains(string name) => _schedules.ContainsKey(name);

    /// <summary>Parses a stored time zone id; UTC for empty.</summary>
    public static TimeZoneInfo Zone(string? id)
    {
        if (string.IsNullOrEmpty(id) || id == "UTC")
            return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"Time zone '{id}' is not known on this machine; use an IANA id such as Europe/Berlin or America/Los_Angeles.", nameof(id), ex);
        }
    }
}
