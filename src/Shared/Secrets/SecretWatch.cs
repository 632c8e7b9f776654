using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Pacer.Secrets;

/// <summary>
/// A secret that follows the place it is kept: read again when the configuration reloads or the file is written (an
/// access token refreshed by another tool, a key rotated in a Kubernetes Secret volume), so that a worker running for
/// days sends the current one. If a new read finds none, the last one stays in use; a process environment does not change.
/// </summary>
internal sealed partial class SecretWatch : IDisposable
{
    private readonly SecretSources _sources;
    private readonly IConfiguration? _configuration;
    private readonly ILogger _logger;
    private readonly IDisposable? _registration;
    private readonly Lock _lock = new();
    private Secret _current;
    private long _fileTicks;
    private volatile bool _reread;
    private bool _lost;

    /// <param name="logger">Told of each change, and of a secret found nowhere any more (never the values).</param>
    public SecretWatch(SecretSources sources, Secret initial, IConfiguration? configuration, ILogger logger)
    {
        _sources = sources;
        _current = initial;
        _configuration = configuration;
        _logger = logger;
        _fileTicks = FileTicks();
        if (configuration is not null)
            _registration = ChangeToken.OnChange(configuration.GetReloadToken, () => _reread = true);
        // Several places are looked at, in an order: which one won is the first question when a credential misbehaves.
        LogInUse(logger, sources.What, initial.Source);
    }

    /// <summary>The secret to send now. Costs a file's time stamp per read when a file is one of the places.</summary>
    public Secret Current
    {
        get
        {
            var fileTicks = FileTicks();
            if (!_reread && fileTicks == Volatile.Read(ref _fileTicks))
                return Volatile.Read(ref _current);
            lock (_lock)
            {
                _reread = false;
                Volatile.Write(ref _fileTicks, fileTicks);
                Secret? found;
                try
                {
                    found = _sources.Find(_configuration);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    found = null; // the file went away between a look and a read: as if not found, the one in use stays
                }
                if (found is null)
                {
                    if (!_lost)
                        LogLost(_logger, _sources.What, _current.Source);
                    _lost = true;
                }
                else
                {
                    _lost = false;
                    if (found.Value != _current.Value || found.Source != _current.Source)
                    {
                        LogChanged(_logger, _sources.What, found.Source);
                        Volatile.Write(ref _current, found);
                    }
                }
                return _current;
            }
        }
    }

    /// <summary>The file's last write (its target's, for a link), or 0 when there is no file to look at.</summary>
    private long FileTicks()
    {
        if (_sources.FilePath is not { } path)
            return 0;
        try
        {
            return File.GetLastWriteTimeUtc(path).Ticks;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A folder the process may no longer read: nothing new can be read from it either; keep what is in use.
            return Volatile.Read(ref _fileTicks);
        }
    }

    public void Dispose() => _registration?.Dispose();

    /// <summary>The name <c>pacer sync</c> picks this event out by, to say in its summary where each credential came from.</summary>
    public const string InUseEvent = "CredentialInUse";

    [LoggerMessage(EventName = InUseEvent, Level = LogLevel.Information, Message = "Calls send the {What} read from {Source}")]
    private static partial void LogInUse(ILogger logger, string what, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {What} changed; calls now send the one read from {Source}")]
    private static partial void LogChanged(ILogger logger, string what, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {What} is no longer found anywhere it may be set; calls keep sending the one read from {Source}")]
    private static partial void LogLost(ILogger logger, string what, string source);
}
