using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pacer.Resources;

/// <summary>Every configured resource, parsed once at start: finds the definition for a claim and the resource of a URL.</summary>
internal sealed partial class ResourceCatalog
{
    private readonly Dictionary<string, ResourceDefinition> _plain;
    private readonly ResourceDefinition[] _templates;
    private readonly (HostRule Rule, ResourceDefinition Definition)[] _hosts;

    private ResourceCatalog(IReadOnlyList<ResourceDefinition> definitions)
    {
        All = definitions;
        _plain = definitions.Where(d => !d.IsTemplate).ToDictionary(d => d.Name, StringComparer.Ordinal);
        _templates = [.. definitions.Where(d => d.IsTemplate)];
        _hosts = [.. definitions.SelectMany(d => d.Hosts.Select(h => (h, d)))];
    }

    public static ResourceCatalog Empty { get; } = new([]);

    public IReadOnlyList<ResourceDefinition> All { get; }

    public bool IsEmpty => All.Count == 0;

    /// <summary>The definition that governs a claimed resource name, or null if none is configured (then it limits nothing).</summary>
    public ResourceDefinition? Find(string resource)
    {
        if (_plain.TryGetValue(resource, out var definition))
            return definition;
        foreach (var template in _templates)
        {
            if (template.Governs(resource))
                return template;
        }
        return null;
    }

    /// <summary>The resource whose <c>Hosts</c> match <paramref name="uri"/> most specifically, or null.</summary>
    public ResourceDefinition? ForUri(Uri uri)
    {
        ResourceDefinition? best = null;
        var bestScore = -1;
        foreach (var (rule, definition) in _hosts)
        {
            var score = rule.Match(uri);
            if (score > bestScore)
            {
                best = definition;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>
    /// This catalog with the definitions of <paramref name="unchanged"/> taken from <paramref name="previous"/>, so that
    /// what is kept per definition (a process's spacing of calls) survives a reload that did not touch them.
    /// </summary>
    public ResourceCatalog KeepFrom(ResourceCatalog previous, IEnumerable<string> unchanged)
    {
        var keep = unchanged.ToHashSet(StringComparer.Ordinal);
        return new ResourceCatalog([.. All.Select(d => keep.Contains(d.Name) ? previous.All.FirstOrDefault(p => p.Name == d.Name) ?? d : d)]);
    }

    /// <summary>Parses the configured resources; throws with every problem listed if any is invalid.</summary>
    public static ResourceCatalog Create(IReadOnlyDictionary<string, ResourceOptions> resources)
    {
        var errors = new List<ValidationResult>();
        var catalog = TryCreate(resources, errors);
        if (catalog is null)
            throw new ArgumentException(string.Join(" ", errors.Select(e => e.ErrorMessage)), nameof(resources));
        return catalog;
    }

    /// <summary>Parses the configured resources, adding one message per problem (each names the key and the fix).</summary>
    public static ResourceCatalog? TryCreate(IReadOnlyDictionary<string, ResourceOptions> resources, List<ValidationResult> errors)
    {
        var before = errors.Count;
        var definitions = new List<ResourceDefinition>();
        foreach (var (name, options) in resources.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var key = $"Pacer:Resources:{name}";
            if (!NamePattern().IsMatch(name))
            {
                errors.Add(new($"{key}: '{name}' is not a resource name; use letters, digits and . _ : - (and {{Field}} parts for a template)."));
                continue;
            }
            if (options is null)
                continue;
            if (Parse(name, key, options, errors) is { } definition)
                definitions.Add(definition);
        }
        return errors.Count > before ? null : new ResourceCatalog(definitions);
    }

    private static ResourceDefinition? Parse(string name, string key, ResourceOptions options, List<ValidationResult> errors)
    {
        var count = errors.Count;
        var burst = options.Burst ?? 1;
        if (burst < 1)
            errors.Add(new($"{key}:Burst is {burst}; it must be at least 1 (1 spaces calls evenly)."));
        var rates = new List<RateLimit>();
        if (options.Rate is not null)
        {
            if (ResourceSyntax.TryParseRates(options.Rate, out var parsed, out var problem))
                rates.AddRange(parsed.Select(r => new RateLimit(r.Permits, r.Period, Math.Min(Math.Max(burst, 1), r.Permits))));
            else
                errors.Add(new($"{key}:Rate '{options.Rate}' {problem}; write N/unit such as 50/s, 600/min or 10/5s, several separated by commas."));
        }
        else if (options.Burst is not null)
        {
            errors.Add(new($"{key}:Burst is set without a Rate; set Rate too (e.g. \"Rate\": \"50/s\") or remove Burst."));
        }
        if (options.Concurrency is < 1)
            errors.Add(new($"{key}:Concurrency is {options.Concurrency}; it must be at least 1 (remove it for no cap)."));
        QuotaRule? quota = null;
        if (options.Quota is not null)
        {
            if (ResourceSyntax.TryParseQuota(options.Quota, out var units, out var period, out var zone, out var problem))
                quota = new QuotaRule(units, period, zone);
            else
                errors.Add(new($"{key}:Quota '{options.Quota}' {problem}; write units/period[@zone] such as 10000/day@America/Los_Angeles or 500/hour."));
        }
        BreakerRule? breaker = null;
        if (options.Breaker is { } b)
            breaker = ParseBreaker($"{key}:Breaker", b, errors);
        var hosts = new List<HostRule>();
        foreach (var host in options.Hosts)
        {
            if (HostRule.TryParse(host ?? "", out var rule))
                hosts.Add(rule);
            else
                errors.Add(new($"{key}:Hosts has '{host}', which is not a host; write host, host:port or host/path-prefix (e.g. api.example.org or 127.0.0.1:8080)."));
        }
        var isTemplate = name.Contains('{', StringComparison.Ordinal);
        if (isTemplate && hosts.Count > 0)
            errors.Add(new($"{key}:Hosts cannot be set on a template resource; a URL cannot say which partition it is. Claim the partition in the job instead."));
        var costs = new List<(string?, string, int)>();
        var defaultCost = 1;
        foreach (var (pattern, cost) in options.Costs)
        {
            if (cost < 1)
            {
                errors.Add(new($"{key}:Costs:{pattern} is {cost}; a call costs at least 1 unit."));
                continue;
            }
            if (pattern == "*")
            {
                defaultCost = cost;
                continue;
            }
            var parts = pattern.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var (method, path) = parts.Length == 2 ? (parts[0].ToUpperInvariant(), parts[1]) : ((string?)null, parts.ElementAtOrDefault(0) ?? "");
            if (!path.StartsWith('/'))
            {
                errors.Add(new($"{key}:Costs has '{pattern}'; write \"METHOD /path-prefix\", \"/path-prefix\" or \"*\"."));
                continue;
            }
            costs.Add((method, path.TrimEnd('/'), cost));
        }
        TimeSpan? callTimeout = null;
        if (options.CallTimeout is not null)
        {
            if (ResourceSyntax.TryParseDuration(options.CallTimeout, out var timeout))
                callTimeout = timeout;
            else
                errors.Add(new($"{key}:CallTimeout '{options.CallTimeout}' is not a duration; write e.g. 10s, 500ms or 2min."));
        }
        if (errors.Count > count)
            return null;
        return new ResourceDefinition(name, rates, options.Concurrency, quota, breaker, hosts,
            costs.Count == 0 && defaultCost == 1 ? CostTable.Empty : new CostTable(costs, defaultCost), callTimeout);
    }

    private static BreakerRule? ParseBreaker(string key, BreakerOptions options, List<ValidationResult> errors)
    {
        var count = errors.Count;
        if (options.FailureRatio is null && options.ConsecutiveFailures is null)
            errors.Add(new($"{key} needs FailureRatio (e.g. 0.5) or ConsecutiveFailures (e.g. 5) to know when to open."));
        if (options.FailureRatio is { } ratio && (ratio <= 0 || ratio > 1))
            errors.Add(new($"{key}:FailureRatio is {ratio}; give a share of failed calls above 0 and at most 1, e.g. 0.5."));
        if (options.MinimumCalls < 1)
            errors.Add(new($"{key}:MinimumCalls is {options.MinimumCalls}; it must be at least 1."));
        if (options.ConsecutiveFailures is < 1)
            errors.Add(new($"{key}:ConsecutiveFailures is {options.ConsecutiveFailures}; it must be at least 1."));
        if (options.Probes < 1)
            errors.Add(new($"{key}:Probes is {options.Probes}; at least one probe must be let through to learn the resource is back."));
        var sampling = Duration(key, nameof(options.SamplingDuration), options.SamplingDuration, errors);
        var @break = Duration(key, nameof(options.Break), options.Break, errors);
        var maxBreak = Duration(key, nameof(options.MaxBreak), options.MaxBreak, errors);
        if (errors.Count == count && maxBreak < @break)
            errors.Add(new($"{key}:MaxBreak ({options.MaxBreak}) is shorter than Break ({options.Break}); make it at least as long."));
        return errors.Count > count ? null
            : new BreakerRule(options.FailureRatio, options.MinimumCalls, sampling, options.ConsecutiveFailures, @break, maxBreak, options.Probes);
    }

    private static TimeSpan Duration(string key, string field, string? value, List<ValidationResult> errors)
    {
        if (ResourceSyntax.TryParseDuration(value, out var duration))
            return duration;
        errors.Add(new($"{key}:{field} '{value}' is not a duration; write e.g. 30s, 500ms, 5min or 1h."));
        return TimeSpan.Zero;
    }

    // ----- claim templates -----

    /// <summary>True when a claimed name still has <c>{Field}</c> parts to fill from the job's arguments.</summary>
    public static bool IsTemplateName(string name) => name.Contains('{', StringComparison.Ordinal);

    /// <summary>Fills a claim's <c>{Field}</c> parts from the job's JSON arguments (field names match case-insensitively).</summary>
    /// <exception cref="JobArgsException">A field is missing, null, or not a string, number or boolean.</exception>
    public static string FillTemplate(string name, string kind, JsonElement args) =>
        FieldPart().Replace(name, match =>
        {
            var field = match.Groups[1].Value;
            if (args.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in args.EnumerateObject())
                {
                    if (!string.Equals(property.Name, field, StringComparison.OrdinalIgnoreCase))
                        continue;
                    return property.Value.ValueKind switch
                    {
                        JsonValueKind.String when property.Value.GetString() is { Length: > 0 } text => text,
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => throw new JobArgsException($"Kind '{kind}' claims resource '{name}', but argument '{property.Name}' is {Describe(property.Value)}; give it a non-empty string or a number."),
                    };
                }
            }
            throw new JobArgsException($"Kind '{kind}' claims resource '{name}', but its arguments have no '{field}' field to fill it from.");
        });

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.String => "empty",
        _ => $"a JSON {value.ValueKind.ToString().ToLowerInvariant()}",
    };

    [GeneratedRegex(@"^[A-Za-z0-9._:\-{}]{1,200}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex FieldPart();
}
