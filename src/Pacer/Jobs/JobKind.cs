using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

namespace Pacer;

/// <summary>A registered job kind: its name, args type and how to run its handler. Args are only ever read as this type.</summary>
internal sealed partial class JobKind
{
    // Strict at enqueue so a typo in a field name is an error the caller sees; lenient at run time so jobs
    // stored before a field was removed from the args type still run.
    internal static readonly JsonSerializerOptions StrictJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
    };

    internal static readonly JsonSerializerOptions LenientJson = new(JsonSerializerDefaults.Web);

    private JobKind(string name, Type argsType, JobKindOptions options, Func<string, JsonSerializerOptions, object> parse,
        Func<IServiceProvider, object, JobContext, Task> invoke, Func<object, string> serialize)
    {
        Name = name;
        ArgsType = argsType;
        Options = options;
        _parse = parse;
        Invoke = invoke;
        _serialize = serialize;
    }

    private readonly Func<string, JsonSerializerOptions, object> _parse;
    private readonly Func<object, string> _serialize;

    public string Name { get; }
    public Type ArgsType { get; }
    public JobKindOptions Options { get; }
    public Func<IServiceProvider, object, JobContext, Task> Invoke { get; }

    /// <summary>Claims a kind derives from its parsed arguments and the resource catalog (the http kind: the resource of its URL's host).</summary>
    internal Func<object, Resources.ResourceCatalog, IEnumerable<ResourceClaim>>? ClaimsFromArgs { get; set; }

    public static JobKind Create<THandler, TArgs>(string name, JobKindOptions options)
        where THandler : class, IJobHandler<TArgs>
    {
        ValidateName(name, "kind");
        ValidateName(options.Queue, "queue");
        if (options.MaxAttempts is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Kind '{name}': MaxAttempts must be at least 1.");
        if (options.Timeout is { } t && t <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), $"Kind '{name}': Timeout must be positive.");
        return new JobKind(
            name,
            typeof(TArgs),
            options,
            static (json, jsonOptions) => JsonSerializer.Deserialize<TArgs>(json, jsonOptions)
                ?? throw new JsonException("Arguments are JSON null; send an object."),
            static (services, args, context) => services.GetRequiredService<THandler>().HandleAsync((TArgs)args, context),
            static args => JsonSerializer.Serialize((TArgs)args, LenientJson));
    }

    /// <summary>Parses and validates enqueue-time arguments; the message names the field and the fix.</summary>
    public object ParseForEnqueue(string json) => Parse(json, StrictJson, enqueue: true);

    /// <summary>Parses stored arguments for a run; fails permanently if they no longer fit the args type.</summary>
    public object ParseForRun(string json) => Parse(json, LenientJson, enqueue: false);

    /// <summary>
    /// In <see cref="ValidationContext.Items"/> while arguments are validated for an enqueue: a rule about what may be
    /// stored (no credential in clear text) applies to new jobs, not to the stored ones a run reads back.
    /// </summary>
    internal const string EnqueueValidation = "Pacer.Enqueue";

    public string Serialize(object args) => _serialize(args);

    private object Parse(string json, JsonSerializerOptions jsonOptions, bool enqueue)
    {
        object args;
        try
        {
            args = _parse(json, jsonOptions);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
            throw new JobArgsException($"Arguments for kind '{Name}' are not valid {ArgsType.Name} JSON{where}: {ex.Message}", ex);
        }
        var results = new List<ValidationResult>();
        var context = enqueue ? new ValidationContext(args, new Dictionary<object, object?> { [EnqueueValidation] = true }) : new ValidationContext(args);
        if (!Validator.TryValidateObject(args, context, results, validateAllProperties: true))
        {
            var problems = string.Join("; ", results.Select(r =>
                r.MemberNames.Any() ? $"{string.Join(",", r.MemberNames.Select(JsonNamingPolicy.CamelCase.ConvertName))}: {r.ErrorMessage}" : r.ErrorMessage));
            throw new JobArgsException($"Arguments for kind '{Name}' failed validation: {problems}");
        }
        return args;
    }

    internal static void ValidateName(string? value, string what)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128 || !NamePattern().IsMatch(value))
            throw new ArgumentException($"Invalid {what} name '{value}': use 1-128 characters from a-z, A-Z, 0-9, '.', '_', ':', '-'.", what);
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]+$")]
    private static partial Regex NamePattern();
}

/// <summary>Every kind this process knows. Args JSON is only ever deserialized into a type registered here.</summary>
internal sealed class JobKindRegistry
{
    private readonly Dictionary<string, JobKind> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, JobKind> _byArgsType = [];

    public void Add(JobKind kind)
    {
        if (!_byName.TryAdd(kind.Name, kind))
            throw new InvalidOperationException($"Job kind '{kind.Name}' is registered twice.");
        // One args type may serve several kinds; typed enqueue then needs the kind name, so the first one wins.
        _byArgsType.TryAdd(kind.ArgsType, kind);
    }

    public IReadOnlyCollection<JobKind> All => _byName.Values;

    public bool TryGet(string name, out JobKind kind) => _byName.TryGetValue(name, out kind!);

    public JobKind Get(string name) => TryGet(name, out var kind)
        ? kind
        : throw new JobArgsException($"Unknown job kind '{name}'. Registered kinds: {string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal))}.");

    public JobKind GetByArgs(Type argsType) => _byArgsType.TryGetValue(argsType, out var kind)
        ? kind
        : throw new InvalidOperationException($"No job kind is registered for args type {argsType.FullName}; call AddJob<THandler, {argsType.Name}>(\"kind\") first.");
}
