namespace Pacer.Cli;

/// <summary>
/// Progress written to a log rather than a screen: a line when something changed, at most one a second, and while nothing
/// changes (a sync's wait for the quota's reset can last hours) the same line once a minute, so the log shows the command
/// is alive without filling it with thousands of copies. Nothing in the first second: a command done by then has only
/// its result to say, not a line of zeros before it.
/// </summary>
/// <param name="started">When the command started.</param>
internal sealed class PlainProgress(DateTimeOffset started)
{
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan RepeatInterval = TimeSpan.FromMinutes(1);

    private string? _last;
    private DateTimeOffset _next = started + LineInterval;
    private DateTimeOffset _repeat = DateTimeOffset.MinValue;

    public bool ShouldWrite(string line, DateTimeOffset now)
    {
        if (now < _next || (line == _last && now < _repeat))
            return false;
        _last = line;
        _next = now + LineInterval;
        _repeat = now + RepeatInterval;
        return true;
    }
}
