using System.Data.Common;

namespace Pacer.Storage.Conformance;

/// <summary>
/// The contract every <see cref="IJobStore"/> must pass. A store's test project derives from this class and gives each
/// test a fresh, isolated store (a temporary file, a schema of its own), so tests of several stores run in parallel.
/// Every time is passed in explicitly from <see cref="T0"/>; nothing waits on the clock.
/// </summary>
public abstract partial class JobStoreConformanceTests : IAsyncLifetime
{
    /// <summary>"Now" for most tests. Whole microseconds only, the finest precision a store must keep.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected const string Worker = "worker-a";

    private IJobStore? _store;

    /// <summary>The store under test, migrated.</summary>
    protected IJobStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    protected static CancellationToken Ct => CancellationToken.None;

    /// <summary>A new store on an empty, isolated database. The base class migrates it.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    /// <summary>
    /// Opens the caller's own connection to the store's database and begins a transaction on it, as an application
    /// would for a transactional enqueue. The test disposes both.
    /// </summary>
    protected abstract Task<(DbConnection Connection, DbTransaction Transaction)> BeginCallerTransactionAsync();

    public virtual async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.MigrateAsync(Ct);
    }

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
    }

    // ----- helpers -----

    protected static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    protected static JobInsert NewJob(
        string kind = "test.kind",
        string queue = "default",
        int priority = 0,
        DateTimeOffset? scheduledAt = null,
        string? uniqueKey = null,
        int maxAttempts = 25,
        string args = "{}") => new()
    {
        Kind = kind,
        Queue = queue,
        Priority = priority,
        ScheduledAt = scheduledAt ?? T0,
        UniqueKey = uniqueKey,
        MaxAttempts = maxAttempts,
        Args = args,
    };

    protected async Task<long> InsertAsync(JobInsert job, DateTimeOffset? now = null)
    {
        var results = await Store.InsertManyAsync(new InsertManyRequest([job], now ?? T0), Ct);
        return results[0].Id;
    }

    protected async Task<long[]> InsertManyAsync(int count, Func<int, JobInsert>? job = null, DateTimeOffset? now = null)
    {
        var jobs = Enumerable.Range(0, count).Select(i => job?.Invoke(i) ?? NewJob()).ToArray();
        var results = await Store.InsertManyAsync(new InsertManyRequest(jobs, now ?? T0), Ct);
        return [.. results.Select(r => r.Id)];
    }

    protected Task<IReadOnlyList<FetchedJob>> FetchAsync(int limit, DateTimeOffset? now = null, string queue = "default", string owner = Worker, IReadOnlyList<long>? onlyIds = null) =>
        Store.FetchAsync(new FetchRequest(queue, limit, now ?? T0, Lease, owner) { OnlyIds = onlyIds }, Ct);

    /// <summary>Claims one specific job (which must be due) and returns it with its lease token.</summary>
    protected async Task<FetchedJob> FetchJobAsync(long id, DateTimeOffset? now = null, string queue = "default", string owner = Worker)
    {
        var fetched = await FetchAsync(1, now, queue, owner, [id]);
        Assert.True(fetched.Count == 1, $"Job {id} could not be fetched.");
        return fetched[0];
    }

    protected async Task<JobRecord> GetAsync(long id) =>
        await Store.GetAsync(id, Ct) ?? throw new InvalidOperationException($"Job {id} not found.");

    protected async Task<bool> CompleteAsync(JobCompletion completion) => (await Store.CompleteManyAsync([completion], Ct))[0];

    protected static JobError Error(int attempt, DateTimeOffset at, string message = "boom") =>
        new(attempt, at, "System.InvalidOperationException", message, "at Handler.Run()");

    /// <summary>Inserts a job and moves it to <paramref name="state"/> through the contract's own operations.</summary>
    protected async Task<long> InsertInStateAsync(JobState state, string? uniqueKey = null, int maxAttempts = 25)
    {
        var scheduledAt = state == JobState.Scheduled ? At(3600) : T0;
        var id = await InsertAsync(NewJob(scheduledAt: scheduledAt, uniqueKey: uniqueKey, maxAttempts: maxAttempts));
        if (state is JobState.Scheduled or JobState.Available)
            return id;
        if (state == JobState.Cancelled)
        {
            Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(id, T0, Ct));
            return id;
        }
        var fetched = await FetchJobAsync(id);
        if (state == JobState.Running)
            return id;
        var completion = state switch
        {
            JobState.Retryable => new JobCompletion(id, fetched.LeaseToken, CompletionKind.Retry, At(1)) { RunAt = At(600), Error = Error(1, At(1)) },
            JobState.Completed => new JobCompletion(id, fetched.LeaseToken, CompletionKind.Completed, At(1)),
            JobState.Discarded => new JobCompletion(id, fetched.LeaseToken, CompletionKind.Discard, At(1)) { Error = Error(1, At(1)) },
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
        };
        Assert.True(await CompleteAsync(completion));
        Assert.Equal(state, (await GetAsync(id)).State);
        return id;
    }

    protected static void AssertNoLease(JobRecord job)
    {
        Assert.Null(job.LeaseOwner);
        Assert.Null(job.LeaseExpiresAt);
        Assert.False(job.CancelRequested);
    }

    // ----- migrations -----

    [Fact]
    public async Task MigrateAsync_AlreadyMigrated_AppliesNothing()
    {
        var again = await Store.MigrateAsync(Ct);

        Assert.Empty(again.Applied);
        Assert.True(again.ToVersion > 0);
        Assert.Equal(again.ToVersion, again.FromVersion);
    }

    [Fact]
    public void Capabilities_AreDescribed()
    {
        Assert.False(string.IsNullOrWhiteSpace(Store.Capabilities.Name));
    }
}
