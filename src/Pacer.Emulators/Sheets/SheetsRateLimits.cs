namespace Pacer.Emulators.Sheets;

/// <summary>Which per-minute limit refused a request.</summary>
internal sealed record SheetsLimit(bool Write, bool PerUser, int Value);

/// <summary>
/// Read and write requests per minute, per user and per project, refilled at the start of every clock minute (the
/// documented "refilled every minute"). A refused request uses no allowance.
/// </summary>
internal sealed class SheetsRateLimits(SheetsEmulatorOptions options)
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time = options.TimeProvider;
    private readonly int _readsPerUser = options.ReadRequestsPerMinutePerUser;
    private readonly int _writesPerUser = options.WriteRequestsPerMinutePerUser;
    private readonly int _readsPerProject = options.ReadRequestsPerMinutePerProject;
    private readonly int _writesPerProject = options.WriteRequestsPerMinutePerProject;
    private readonly Dictionary<(string User, bool Write), int> _users = [];
    private int _projectReads;
    private int _projectWrites;
    private long _minute = long.MinValue;

    /// <summary>Admits the request, or names the limit it exceeds.</summary>
    public SheetsLimit? TryAdmit(string user, bool write)
    {
        lock (_gate)
        {
            var minute = _time.GetUtcNow().ToUnixTimeSeconds() / 60;
            if (minute != _minute)
            {
                _minute = minute;
                _users.Clear();
                _projectReads = 0;
                _projectWrites = 0;
            }
            var perUser = write ? _writesPerUser : _readsPerUser;
            var perProject = write ? _writesPerProject : _readsPerProject;
            var used = _users.GetValueOrDefault((user, write));
            if (perUser > 0 && used >= perUser)
                return new SheetsLimit(write, PerUser: true, perUser);
            var projectUsed = write ? _projectWrites : _projectReads;
            if (perProject > 0 && projectUsed >= perProject)
                return new SheetsLimit(write, PerUser: false, perProject);
            _users[(user, write)] = used + 1;
            if (write)
                _projectWrites++;
            else
                _projectReads++;
            return null;
        }
    }
}
