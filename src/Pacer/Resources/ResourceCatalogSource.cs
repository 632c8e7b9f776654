using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Pacer.Resources;

/// <summary>
/// The resource catalog in force. It starts as the one validated at start, and follows the configuration when it
/// reloads (a JSON file with <c>reloadOnChange</c>, <see cref="IConfigurationRoot.Reload"/>): the <c>Pacer</c> section
/// is bound and validated again as at start, and a valid change to <c>Pacer:Resources</c> replaces the catalog; an
/// invalid one is logged with every problem and changes nothing. Readers take <see cref="Current"/> once per
/// operation, so one admission pass or one call sees one catalog.
/// </summary>
/// <remarks>
/// A resource missing from the reloaded configuration keeps its definition until the process restarts. Configuration
/// files are often replaced rather than rewritten, and a provider that reloads while the file is briefly missing sees
/// no keys at all: that must not lift every limit. Other <c>Pacer</c> settings (concurrency, queues, intervals) shape
/// the worker pool built at start; a change to them is logged as needing a restart.
/// </remarks>
internal sealed partial class ResourceCatalogSource : IDisposable
{
    private readonly IOptionsFactory<PacerOptions>? _factory;
    private readonly IConfiguration? _configuration;
    private readonly ILogger _logger;
    private readonly IDisposable? _registration;
    private readonly Lock _lock = new();
    private readonly IReadOnlyDictionary<string, string?> _startedSettings;
    private Dictionary<string, ResourceOptions> _applied;
    private HashSet<string> _reportedSettings = new(StringComparer.OrdinalIgnoreCase);
    private HashSet<string> _reportedRemovals = new(StringComparer.Ordinal);
    private volatile ResourceCatalog _current;
    private string? _lastRejected;

    /// <summary>A fixed catalog that never reloads (admission tests).</summary>
    public ResourceCatalogSource(ResourceCatalog catalog)
    {
        _current = catalog;
        _applied = [];
        _startedSettings = new Dictionary<string, string?>();
        _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public ResourceCatalogSource(PacerOptions started, IOptionsFactory<PacerOptions> factory, IConfiguration? configuration, ILoggerFactory loggers)
    {
        _current = ResourceCatalog.Create(started.Resources);
        _applied = new Dictionary<string, ResourceOptions>(started.Resources, StringComparer.Ordinal);
        _factory = factory;
        _configuration = configuration;
        _logger = loggers.CreateLogger("Pacer.Configuration");
        _startedSettings = OtherSettings(configuration);
        if (configuration is not null)
            _registration = ChangeToken.OnChange(configuration.GetReloadToken, ReloadLogged);
    }

    public ResourceCatalog Current => _current;

    /// <summary>Raised after a reload replaced the catalog, with the definitions that were added or changed.</summary>
    public event Action<IReadOnlyList<ResourceDefinition>>? Changed;

    /// <summary>Binds and validates the configuration again and applies a change to the resources.</summary>
    private void Reload()
    {
        if (_factory is null)
            return;
        lock (_lock)
        {
            ReportOtherSettings();
            PacerOptions fresh;
            try
            {
                fresh = _factory.Create(Options.DefaultName);
            }
            catch (OptionsValidationException ex)
            {
                Rejected(string.Join(" ", ex.Failures.Select(OptionsFailures.Readable)));
                return;
            }
            catch (InvalidOperationException ex)
            {
                // The binder's message names the key and the type it expected.
                Rejected(ex.Message);
                return;
            }
            _lastRejected = null;

            var next = new Dictionary<string, ResourceOptions>(fresh.Resources, StringComparer.Ordinal);
            var removed = _applied.Keys.Where(name => !next.ContainsKey(name)).Order(StringComparer.Ordinal).ToArray();
            foreach (var name in removed)
                next[name] = _applied[name];
            var changed = next.Where(r => !_applied.TryGetValue(r.Key, out var before) || Describe(before) != Describe(r.Value))
                .Select(r => r.Key).Order(StringComparer.Ordinal).ToArray();
            if (removed.Any(name => !_reportedRemovals.Contains(name)))
                LogRemovalIgnored(_logger, string.Join(", ", removed));
            _reportedRemovals = [.. removed];
            if (changed.Length == 0)
                return;

            var catalog = ResourceCatalog.Create(next).KeepFrom(_current, next.Keys.Except(changed, StringComparer.Ordinal));
            foreach (var name in changed)
            {
                LogChanged(_logger, name, _applied.TryGetValue(name, out var before) ? Describe(before) : "(not configured)", Describe(next[name]));
            }
            _applied = next;
            _current = catalog;
            Changed?.Invoke([.. changed.Select(name => catalog.All.First(d => d.Name == name))]);
        }
    }

    /// <summary>The reload as the configuration's change callback runs it: on a provider's thread, where a throw goes unseen.</summary>
    private void ReloadLogged()
    {
        try
        {
            Reload();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReloadFailed(_logger, ex);
        }
    }

    /// <summary>Logs a rejected change once: one save raises several change events, and each would say the same.</summary>
    private void Rejected(string problems)
    {
        if (problems != _lastRejected)
            LogRejected(_logger, problems);
        _lastRejected = problems;
    }

    private void ReportOtherSettings()
    {
        var now = OtherSettings(_configuration);
        var differing = now.Keys.Concat(_startedSettings.Keys)
            .Where(key => now.GetValueOrDefault(key) != _startedSettings.GetValueOrDefault(key))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var fresh = differing.Where(key => !_reportedSettings.Contains(key)).Order(StringComparer.OrdinalIgnoreCase).ToArray();
        _reportedSettings = differing;
        if (fresh.Length > 0)
            LogNeedsRestart(_logger, string.Join(", ", fresh));
    }

    /// <summary>The <c>Pacer</c> keys outside <c>Pacer:Resources</c>, as the configuration holds them now.</summary>
    private static Dictionary<string, string?> OtherSettings(IConfiguration? configuration)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (configuration is null)
            return settings;
        foreach (var (key, value) in configuration.GetSection("Pacer").AsEnumerable())
        {
            if (value is not null && !key.StartsWith("Pacer:Resources:", StringComparison.OrdinalIgnoreCase))
                settings[key] = value;
        }
        return settings;
    }

    /// <summary>A resource's settings as one line, for comparing two configurations and for the log.</summary>
    internal static string Describe(ResourceOptions options)
    {
        var parts = new List<string>();
        Add("Rate", options.Rate);
        Add("Burst", options.Burst?.ToString(CultureInfo.InvariantCulture));
        Add("Concurrency", options.Concurrency?.ToString(CultureInfo.InvariantCulture));
        Add("Quota", options.Quota);
        if (options.Breaker is { } b)
        {
            Add("Breaker", string.Create(CultureInfo.InvariantCulture,
                $"FailureRatio={b.FailureRatio} MinimumCalls={b.MinimumCalls} SamplingDuration={b.SamplingDuration} ConsecutiveFailures={b.ConsecutiveFailures} Break={b.Break} MaxBreak={b.MaxBreak} Probes={b.Probes}"));
        }
        if (options.Hosts.Count > 0)
            Add("Hosts", string.Join(",", options.Hosts));
        if (options.Costs.Count > 0)
            Add("Costs", string.Join(",", options.Costs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}={c.Value}"))));
        Add("CallTimeout", options.CallTimeout);
        return parts.Count == 0 ? "(no limits)" : string.Join("; ", parts);

        void Add(string key, string? value)
        {
            if (value is not null)
                parts.Add($"{key} {value}");
        }
    }

    public void Dispose() => _registration?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Resource {Resource} reloaded from configuration: {Before} -> {After}")]
    private static partial void LogChanged(ILogger logger, string resource, string before, string after);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration change not applied; the resources stay as they were. {Problems}")]
    private static partial void LogRejected(ILogger logger, string problems);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloading the resources from configuration failed; they stay as they were")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resources no longer in the configuration keep their limits until this process restarts: {Resources}")]
    private static partial void LogRemovalIgnored(ILogger logger, string resources);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration changed for {Keys}; these settings apply when this process restarts (only Pacer:Resources reload while it runs)")]
    private static partial void LogNeedsRestart(ILogger logger, string keys);
}
