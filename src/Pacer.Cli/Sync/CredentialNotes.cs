using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pacer.Cli.Sync;

/// <summary>
/// Keeps what the YouTube and Sheets clients log once as they start: which of the places looked at each credential was
/// read from (the event <c>CredentialInUse</c>, with its <c>What</c> and <c>Source</c>; never a value). <c>pacer sync</c>
/// shows them in its summary, where its logs are not shown.
/// </summary>
internal sealed class CredentialNotes : ILoggerProvider
{
    /// <summary>The event's name, as the clients' shared <c>SecretWatch</c> logs it.</summary>
    private const string InUseEvent = "CredentialInUse";

    private readonly ConcurrentDictionary<string, string> _sources = new(StringComparer.Ordinal);

    /// <summary>"YouTube API key from the environment variable PACER_YOUTUBE_API_KEY", one per credential, in name order.</summary>
    public IReadOnlyList<string> Lines => [.. _sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} from {s.Value}")];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CredentialNotes notes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name != InUseEvent || state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
                return;
            if (fields.FirstOrDefault(f => f.Key == "What").Value is string what && fields.FirstOrDefault(f => f.Key == "Source").Value is string source)
                notes._sources[what] = source;
        }
    }
}
