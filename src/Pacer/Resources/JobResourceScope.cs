namespace Pacer.Resources;

/// <summary>
/// What the running job's admission already paid for, visible to code the handler calls (the HTTP integration) through an
/// async-local: a job that claimed 1 unit of <c>youtube</c> makes its first call on that unit, and only later calls take
/// permits of their own.
/// </summary>
internal sealed class JobResourceScope
{
    private static readonly AsyncLocal<JobResourceScope?> Ambient = new();

    private readonly Dictionary<string, int> _prepaid = new(StringComparer.Ordinal);
    // Made on the first reservation: a scope is made for every job, and few reserve.
    private Dictionary<string, (int Units, long Window)>? _reserved;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <param name="leaseExpiresAt">Until when the attempt surely holds its lease (<see cref="JobContext.LeaseExpiresAt"/>).</param>
    public JobResourceScope(JobRecord job, Func<DateTimeOffset>? leaseExpiresAt = null)
    {
        Job = job;
        LeaseExpiresAt = leaseExpiresAt;
        foreach (var claim in job.Claims)
            _prepaid[claim.Resource] = _prepaid.GetValueOrDefault(claim.Resource) + claim.Cost;
    }

    /// <summary>The scope of the job whose handler is running on this async flow, if any.</summary>
    public static JobResourceScope? Current => Ambient.Value;

    public JobRecord Job { get; }

    public Func<DateTimeOffset>? LeaseExpiresAt { get; }

    /// <summary>Makes this the current scope for the rest of the calling async method and what it awaits.</summary>
    public void Enter() => Ambient.Value = this;

    /// <summary>Whether the job claimed the resource at all (then its calls are already paced by admission).</summary>
    public bool Claimed(string resource) => Job.Claims.Any(c => string.Equals(c.Resource, resource, StringComparison.Ordinal));

    /// <summary>Uses up to <paramref name="cost"/> prepaid units; returns how many units the call still needs.</summary>
    public int UsePrepaid(string resource, int cost)
    {
        lock (_lock)
        {
            var left = _prepaid.GetValueOrDefault(resource);
            var used = Math.Min(left, cost);
            if (used > 0)
                _prepaid[resource] = left - used;
            return cost - used;
        }
    }

    /// <summary>Adds quota units reserved for this attempt's calls (<see cref="IPacerResources.ReserveAsync"/>), in the quota window that starts at <paramref name="window"/>.</summary>
    public void AddReserved(string resource, int units, long window)
    {
        lock (_lock)
        {
            // A reservation in a later window replaces what is left of one in an earlier window: that one is spent.
            _reserved ??= new(StringComparer.Ordinal);
            var held = _reserved.GetValueOrDefault(resource);
            _reserved[resource] = (held.Window == window ? held.Units + units : units, window);
        }
    }

    /// <summary>Uses up to <paramref name="units"/> reserved quota units; returns how many it used (their quota is paid).</summary>
    public int UseReserved(string resource, int units)
    {
        lock (_lock)
        {
            if (_reserved is null || !_reserved.TryGetValue(resource, out var held) || held.Units == 0)
                return 0;
            var used = Math.Min(held.Units, units);
            _reserved[resource] = (held.Units - used, held.Window);
            return used;
        }
    }

    /// <summary>Puts back reserved units a call took but did not spend (it was refused before it was sent).</summary>
    public void ReturnReserved(string resource, int units)
    {
        lock (_lock)
        {
            if (units > 0 && _reserved is not null && _reserved.TryGetValue(resource, out var held))
                _reserved[resource] = (held.Units + units, held.Window);
        }
    }

    /// <summary>Takes what is left of every reservation, to give back to the quota; later calls pay their own way.</summary>
    public IReadOnlyList<(string Resource, int Units, long Window)> TakeReserved()
    {
        lock (_lock)
        {
            // Every job comes here when its attempt ends; most reserve nothing.
            if (_reserved is not { Count: > 0 })
                return [];
            var left = _reserved.Where(r => r.Value.Units > 0).Select(r => (r.Key, r.Value.Units, r.Value.Window)).ToArray();
            _reserved.Clear();
            return left;
        }
    }

    /// <summary>Notes that a call reported its own outcome to the resource's breaker, so the job's outcome is not counted again.</summary>
    public void MarkReported(string resource)
    {
        lock (_lock)
            _reported.Add(resource);
    }

    public bool WasReported(string resource)
    {
        lock (_lock)
            return _reported.Contains(resource);
    }
}
