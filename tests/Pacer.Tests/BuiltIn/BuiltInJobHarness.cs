using Microsoft.Extensions.Configuration;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Pacer.Tests.BuiltIn;

/// <summary>
/// Runs one attempt of a built-in kind the way the engine does (parse and validate the args, resolve the handler from a
/// scope, invoke it with a job context), on a fake clock and with every log line captured.
/// </summary>
internal sealed class BuiltInJobHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    /// <param name="configuration">Configuration values the handlers see (e.g. <c>Secrets:NAME</c>); none: no configuration at all.</param>
    public BuiltInJobHarness(IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var services = new ServiceCollection();
        if (configuration is not null)
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        services.AddSingleton<TimeProvider>(Time);
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services.AddPacer(pacer => pacer.AddBuiltInJobs());
        _services = services.BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Parses and validates arguments as an enqueue does; throws <see cref="JobArgsException"/> on bad input.</summary>
    public object Parse(string kind, string argsJson) => _services.GetRequiredService<JobKindRegistry>().Get(kind).ParseForEnqueue(argsJson);

    public async Task RunAsync(string kind, string argsJson, long jobId = 42, int attempt = 1, CancellationToken cancellationToken = default)
    {
        var jobKind = _services.GetRequiredService<JobKindRegistry>().Get(kind);
        var args = jobKind.ParseForRun(argsJson);
        var job = new JobRecord
        {
            Id = jobId,
            Kind = kind,
            Queue = "default",
            Priority = 0,
            Args = argsJson,
            State = JobState.Running,
            Attempt = attempt,
            MaxAttempts = 25,
            ScheduledAt = Start,
            CreatedAt = Start,
        };
        await using var scope = _services.CreateAsyncScope();
        var logger = _services.GetRequiredService<ILoggerFactory>().CreateLogger("Pacer.Engine");
        // The built-in kinds record no effects, so no ledger is needed (a ledger needs a store and a lease).
        var context = new JobContext(job, cancellationToken, logger, effects: null!, () => DateTimeOffset.MaxValue);
        await jobKind.Invoke(scope.ServiceProvider, args, context);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.Message}");
    }
}
