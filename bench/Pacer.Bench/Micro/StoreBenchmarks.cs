using BenchmarkDotNet.Attributes;
using Pacer.Storage;

namespace Pacer.Bench.Micro;

/// <summary>
/// The SQLite store's share of a job's life: insert, fetch under a lease, complete. Each is one write transaction, so
/// a batch of <see cref="Jobs"/> shows what batching saves per job.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private DirectoryInfo? _directory;
    private IJobStore? _store;
    private JobInsert[] _inserts = [];

    [Params(1, 100)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("pacer-micro-");
        _store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = Path.Combine(_directory.FullName, "pacer.db") });
        await _store.MigrateAsync(CancellationToken.None);
        _inserts = [.. Enumerable.Range(0, Jobs).Select(_ => new JobInsert
        {
            Kind = "bench.noop",
            Args = """{"enqueuedAt":0}""",
            Queue = "default",
            MaxAttempts = 25,
            ScheduledAt = DateTimeOffset.UnixEpoch,
            Tags = [],
            Claims = [],
        })];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
        _directory?.Delete(recursive: true);
    }

    [Benchmark]
    public Task<IReadOnlyList<InsertResult>> Insert() => _store!.InsertManyAsync(new InsertManyRequest(_inserts, DateTimeOffset.UtcNow), CancellationToken.None);

    [Benchmark]
    public async Task<int> InsertFetchComplete()
    {
        var now = DateTimeOffset.UtcNow;
        await _store!.InsertManyAsync(new InsertManyRequest(_inserts, now), CancellationToken.None);
        var fetched = await _store.FetchAsync(new FetchRequest("default", Jobs, now, Lease, "bench"), CancellationToken.None);
        var completions = fetched.Select(f => new JobCompletion(f.Job.Id, f.LeaseToken, CompletionKind.Completed, now)).ToArray();
        var accepted = await _store.CompleteManyAsync(completions, CancellationToken.None);
        return accepted.Count;
    }
}
