using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Logging;

namespace Pacer.Cli;

/// <summary>
/// The <c>--config</c> file as a configuration source: the folder it is read from (disposed with the host) and, for a
/// worker that follows the file, how a change is noticed and what is said of an edit that no longer parses.
/// </summary>
internal sealed partial class ConfigFile : IDisposable
{
    private readonly string _file;
    private readonly string _name;
    private readonly bool _watch;
    private readonly PhysicalFileProvider _folder;
    private readonly bool _polled;
    private ILogger? _logger;

    public ConfigFile(string file, bool watch)
    {
        _file = file;
        _watch = watch;
        var path = Path.GetFullPath(file);
        _name = Path.GetFileName(path);
        // ExclusionFilters.None: a file named .pacer.json is a config file like any other.
        _folder = new PhysicalFileProvider(Path.GetDirectoryName(path)!, ExclusionFilters.None);
        if (watch && new FileInfo(path).LinkTarget is not null)
        {
            // A Kubernetes ConfigMap or Secret volume updates a file by swapping a link to a new folder, never writing the
            // file: change events name the link, not the file, so a linked file is polled for its target's time (4 s).
            _folder.UsePollingFileWatcher = true;
            _folder.UseActivePolling = true;
            _polled = true;
        }
    }

    public void AddTo(IConfigurationBuilder configuration) => configuration.AddJsonFile(source =>
    {
        source.FileProvider = _folder;
        source.Path = _name;
        source.Optional = false;
        source.ReloadOnChange = _watch;
        source.OnLoadException = OnLoadException;
    });

    /// <summary>From here on, an edit that no longer parses is logged (until then the command reports it as an error).</summary>
    public void LogTo(ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("Pacer.Configuration");
        if (_watch)
            LogFollowing(_logger, _file, _polled ? " (a link: looked at every 4 s)" : "");
    }

    /// <remarks>
    /// On a reload the provider rethrows the error on its file watcher's thread, where nobody would see it; the
    /// configuration in force stays as it was, and the next good save is applied.
    /// </remarks>
    private void OnLoadException(FileLoadExceptionContext context)
    {
        if (_logger is { } logger)
            LogUnreadable(logger, _file, context.Exception.InnerException?.Message ?? context.Exception.Message);
    }

    public void Dispose() => _folder.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Following --config {File}{How}: changes to Pacer:Resources apply while this worker runs")]
    private static partial void LogFollowing(ILogger logger, string file, string how);

    [LoggerMessage(Level = LogLevel.Error, Message = "--config {File} could not be read after a change ({Problem}); the configuration in force stays until the file is fixed")]
    private static partial void LogUnreadable(ILogger logger, string file, string problem);
}
