using Pacer.Resources;
using Pacer.Storage;

namespace Pacer.Admission;

/// <summary>
/// Decides, inside the store's fetch transaction, which due jobs start now: a job starts only if every resource it claims
/// can grant its cost together (nothing is held while waiting, so two jobs claiming the same pair cannot deadlock). A job
/// that cannot start uses no attempt; one that would wait long is parked with the time it can run and the reason.
/// </summary>
/// <remarks>
/// Fairness: candidates are judged in dispatch order (priority, then due time). The first job blocked on a rate limit or a
/// concurrency cap reserves it for the rest of the pass, so a job needing 100 units is not overtaken forever by a stream
/// of 1-unit jobs behind it; jobs behind it on other resources still run. Quota, breaker and pause waits reserve nothing:
/// they end at a time that does not depend on who else spends.
/// </remarks>
internal sealed class ResourceAdmission(ResourceCatalogSource catalogs, AdmissionSettings settings)
{
    /// <summary>The catalog in force now; it changes when the configuration reloads.</summary>
    public ResourceCatalog Catalog => catalogs.Current;

    public AdmissionDecision Decide(AdmissionInput input, int slots)
    {
        var now = input.Now;
        var nowTicks = now.UtcTicks;
        var catalog = catalogs.Current;
        var admitted = new List<long>(Math.Min(slots, input.Candidates.Count));
        var parked = new List<JobWait>();
        Dictionary<long, DateTimeOffset>? startAt = null;
        Dictionary<string, Working>? resources = null;
        long? nextCheck = null;
        Span<Verdict> verdicts = stackalloc Verdict[8];

        foreach (var job in input.Candidates)
        {
            if (admitted.Count >= slots)
                break;
            if (job.Claims.Count == 0)
            {
                admitted.Add(job.Id);
                continue;
            }
            resources ??= new Dictionary<string, Working>(StringComparer.Ordinal);
            var claims = Combine(job.Claims);
            if (claims.Count > verdicts.Length)
                verdicts = new Verdict[claims.Count];
            var allowed = true;
            for (var i = 0; i < claims.Count; i++)
            {
                var w = Get(catalog, resources, claims[i].Resource, input, now);
                verdicts[i] = w is null ? Verdict.Allow : w.Check(claims[i].Cost, now);
                allowed &= verdicts[i].Allowed;
            }
            if (allowed)
            {
                for (var i = 0; i < claims.Count; i++)
                    Get(catalog, resources, claims[i].Resource, input, now)?.Grant(claims[i].Cost, now);
                admitted.Add(job.Id);
                continue;
            }

            // Waiting only for rate limits' next permits, and those come within the lead: admit it now to start then.
            // A pass takes a little time; granting ahead keeps the permits evenly spaced instead of losing that time each pass.
            if (LeadStart(claims, verdicts, nowTicks) is { } start)
            {
                var at = new DateTimeOffset(start, TimeSpan.Zero);
                for (var i = 0; i < claims.Count; i++)
                    Get(catalog, resources, claims[i].Resource, input, now)?.Grant(claims[i].Cost, at);
                admitted.Add(job.Id);
                (startAt ??= [])[job.Id] = at;
                continue;
            }

            // Blocked: find what it waits for longest (an unknown end outranks any known one), reserve, and park if long.
            Working? main = null;
            var mainIndex = -1;
            long? eta = nowTicks;
            for (var i = 0; i < claims.Count; i++)
            {
                if (verdicts[i].Allowed)
                    continue;
                var w = resources[claims[i].Resource];
                var at = verdicts[i].RetryAtTicks;
                if (main is null || (eta is not null && (at is null || at > eta)))
                {
                    main = w;
                    mainIndex = i;
                    eta = at;
                }
            }
            var isHead = main!.Blocked == 0;
            for (var i = 0; i < claims.Count; i++)
            {
                if (verdicts[i].Allowed)
                    continue;
                var w = resources[claims[i].Resource];
                w.Reserve(verdicts[i], claims[i].Cost);
                w.Blocked++;
            }

            var verdict = verdicts[mainIndex];
            if (eta is { } known)
            {
                if (known - nowTicks > settings.ParkAfter.Ticks)
                {
                    // Back a little before its time, so it is in line again when the resource can take it.
                    var until = new DateTimeOffset(Math.Max(known - settings.WakeEarly.Ticks, nowTicks), TimeSpan.Zero);
                    parked.Add(new JobWait(job.Id, until, main.Name, main.Describe(verdict, now)));
                }
                else
                {
                    // A rate permit is looked for half a lead early, so the pass that admits it ahead is not itself late.
                    var check = verdict.Reason == BlockReason.Rate ? known - (settings.Lead.Ticks / 2) : known;
                    nextCheck = nextCheck is null ? check : Math.Min(nextCheck.Value, check);
                }
            }
            else if (verdict.Reason != BlockReason.Concurrency || !isHead)
            {
                // Its end is not known (a permit must come back, a probe report, a resume): the release wakes it, and
                // the recheck time is only a safety net. The first job blocked on a cap stays in line, holding its place.
                parked.Add(new JobWait(job.Id, now + settings.Recheck, main.Name, main.Describe(verdict, now)));
            }
        }

        var writes = new List<ResourceWrite>();
        if (resources is not null)
        {
            foreach (var w in resources.Values)
            {
                if (w is { Dirty: true }) // null: a name that limits nothing
                    writes.Add(new ResourceWrite(w.Name, w.State.ToJson()));
            }
        }
        return new AdmissionDecision(admitted, parked, writes,
            nextCheck is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null)
        {
            StartAt = startAt ?? (IReadOnlyDictionary<long, DateTimeOffset>)new Dictionary<long, DateTimeOffset>(),
        };
    }

    /// <summary>When every blocked claim waits only for a rate permit within the lead, the latest of those times.</summary>
    private long? LeadStart(IReadOnlyList<ResourceClaim> claims, ReadOnlySpan<Verdict> verdicts, long nowTicks)
    {
        long start = nowTicks;
        for (var i = 0; i < claims.Count; i++)
        {
            var verdict = verdicts[i];
            if (verdict.Allowed)
                continue;
            if (verdict.Reason != BlockReason.Rate || verdict.RetryAtTicks is not { } at || at - nowTicks > settings.Lead.Ticks)
                return null;
            start = Math.Max(start, at);
        }
        return start;
    }

    private static Working? Get(ResourceCatalog catalog, Dictionary<string, Working> resources, string name, AdmissionInput input, DateTimeOffset now)
    {
        if (resources.TryGetValue(name, out var w))
            return w;
        var definition = catalog.Find(name);
        input.Resources.TryGetValue(name, out var row);
        if (definition is null && row is null)
        {
            // Not configured and never paused: it limits nothing. Remember that, to skip the lookups next time.
            resources[name] = null!;
            return null;
        }
        w = new Working(name, definition ?? ResourceDefinition.Unlimited(name), ResourceState.Parse(row?.State));
        w.Dirty = w.Definition.Normalize(w.State, now);
        w.InUse = input.RunningCosts.GetValueOrDefault(name) + ResourceDefinition.HeldOutsideJobs(w.State);
        resources[name] = w;
        return w;
    }

    /// <summary>A job's claims with repeated resources summed, so a job claiming X twice is judged once for both.</summary>
    private static IReadOnlyList<ResourceClaim> Combine(IReadOnlyList<ResourceClaim> claims)
    {
        if (claims.Count == 1)
            return claims;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var distinct = true;
        foreach (var claim in claims)
            distinct &= seen.Add(claim.Resource);
        if (distinct)
            return claims;
        return [.. claims.GroupBy(c => c.Resource, StringComparer.Ordinal).Select(g => new ResourceClaim(g.Key, g.Sum(c => c.Cost)))];
    }

    /// <summary>One resource during one admission pass: its stored state, plus what earlier blocked jobs reserved.</summary>
    private sealed class Working(string name, ResourceDefinition definition, ResourceState state)
    {
        public string Name { get; } = name;
        public ResourceDefinition Definition { get; } = definition;
        public ResourceState State { get; } = state;
        public bool Dirty { get; set; }
        public int InUse { get; set; }
        public int Blocked { get; set; }

        // Rate limit arrival times as if earlier blocked jobs had taken their permits at their turn.
        private long[]? _reservedTats;
        private bool _capReserved;

        public Verdict Check(int cost, DateTimeOffset now)
        {
            if (_capReserved && Definition.Concurrency is not null)
                return new Verdict(BlockReason.Concurrency, null);
            return Definition.Check(State, _reservedTats ?? State.Tat, cost, now, InUse);
        }

        public void Grant(int cost, DateTimeOffset at)
        {
            Definition.Grant(State, cost, at);
            if (_reservedTats is not null)
                _reservedTats = Definition.Advance(_reservedTats, at.UtcTicks, cost);
            InUse += cost;
            Dirty |= Definition.Rates.Count > 0 || Definition.Quota is not null || State.Breaker is { Phase: BreakerPhase.HalfOpen };
        }

        public void Reserve(Verdict verdict, int cost)
        {
            if (verdict.Reason == BlockReason.Rate && verdict.RetryAtTicks is { } at)
                _reservedTats = Definition.Advance(_reservedTats ?? State.Tat, at, cost);
            else if (verdict.Reason == BlockReason.Concurrency)
                _capReserved = true;
        }

        public string Describe(Verdict verdict, DateTimeOffset now) => Definition.Describe(Name, State, verdict, now);
    }
}

/// <summary>Admission's timing, derived from the engine's options.</summary>
/// <param name="ParkAfter">A job that would wait longer than this is parked (state waiting) rather than looked at again each pass.</param>
/// <param name="WakeEarly">How long before its time a parked job is made available again (the scheduler runs only every so often).</param>
/// <param name="Recheck">When a job waiting for an event (a permit back, a resume) is looked at again if no event wakes it.</param>
/// <param name="Lead">How far ahead a job waiting only for a rate permit is admitted, to start exactly when the permit comes.</param>
internal sealed record AdmissionSettings(TimeSpan ParkAfter, TimeSpan WakeEarly, TimeSpan Recheck, TimeSpan Lead)
{
    /// <summary>Long enough to cover a dispatch pass and a timer's lateness; short enough that a held slot costs little.</summary>
    public static readonly TimeSpan DefaultLead = TimeSpan.FromMilliseconds(50);

    public static AdmissionSettings From(PacerOptions options) => new(
        ParkAfter: Max(TimeSpan.FromSeconds(1), options.MaintenanceInterval * 3),
        WakeEarly: Max(TimeSpan.FromMilliseconds(500), options.MaintenanceInterval * 2),
        Recheck: options.LeaseDuration,
        Lead: DefaultLead);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
