using Cronos;

namespace Pacer;

/// <summary>A cron schedule that enqueues one job per slot.</summary>
internal sealed class RecurringSchedule
{
    private RecurringSchedule(string name, CronExpression cron, string kind, string argsJson, TimeZoneInfo timeZone, EnqueueOptions? options)
    {
        Name = name;
        Cron = cron;
        Kind = kind;
        ArgsJson = argsJson;
        TimeZone = timeZone;
        Options = options;
    }

    public string Name { get; }
    public CronExpression Cron { get; }
    public string Kind { get; }
    public string ArgsJson { get; }
    public TimeZoneInfo TimeZone { get; }
    public EnqueueOptions? Options { get; }

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
        return new RecurringSchedule(name, expression, kind, argsJson, timeZone, options);
    }

    /// <summary>The latest slot at or before <paramref name="now"/> that is after <paramref name="after"/>, if any.</summary>
    public DateTimeOffset? LatestDueSlot(DateTimeOffset? after, DateTimeOffset now)
    {
        // Walk forward from the last enqueued slot (or from a minute before now on first sight) and keep the
        // newest slot not in the future: missed slots collapse into one run rather than a burst.
        var from = after ?? now.AddMinutes(-1);
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

internal sealed class RecurringRegistry
{
    private readonly Dictionary<string, RecurringSchedule> _schedules = new(StringComparer.Ordinal);

    public IReadOnlyCollection<RecurringSchedule> All => _schedules.Values;

    public void Add(RecurringSchedule schedule)
    {
        if (!_schedules.TryAdd(schedule.Name, schedule))
            throw new InvalidOperationException($"Recurring schedule '{schedule.Name}' is registered twice.");
    }
}
