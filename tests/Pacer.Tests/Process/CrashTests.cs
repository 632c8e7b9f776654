using Microsoft.Data.Sqlite;
using Pacer.Storage;
using Xunit.Abstractions;

namespace Pacer.Tests.Process;

/// <summary>Real processes, real SIGKILL and SIGSTOP: the guarantees hold when workers die or freeze mid-job.</summary>
[Collection(ProcessTests.Name)]
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pacer-crash-").FullName;

    private string Database => Path.Combine(_directory, "pacer.db");
    private string Log => Path.Combine(_directory, "events.log");

    [Fact]
    public async Task KilledAtRandomMoments_EveryJobCompletesOnce_NoEffectDoubles()
    {
        const int jobs = 5000;
        const int kills = 20;
        await PrepareAsync(jobs);
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");

        var killed = 0;
        for (var i = 0; i < kills; i++)
        {
            using var worker = WorkerProcess.Start(Database, Log, "--concurrency", "8", "--lease-ms", "2000", "--work-ms", "20");
            await EventLogFile.WaitForLineAsync(Log, l => l == $"started {worker.Id}", TimeSpan.FromSeconds(60));
            await Task.Delay(random.Next(50, 600)); // a random moment in the middle of work
            if (worker.HasExited)
                continue;
            worker.Kill();
            killed++;
        }
        using (var finisher = WorkerProcess.Start(Database, Log, "--concurrency", "8", "--lease-ms", "2000", "--work-ms", "0", "--drain"))
            Assert.Equal(0, await finisher.WaitForExitAsync(TimeSpan.FromMinutes(3)));

        var states = await CountByStateAsync();
        var effects = await EffectCountsAsync();
        var executions = EventLogFile.Lines(Log).Where(l => l.StartsWith("exec ", StringComparison.Ordinal))
            .GroupBy(l => l.Split(' ')[1]).ToDictionary(g => long.Parse(g.Key, System.Globalization.CultureInfo.InvariantCulture), g => g.Count());
        var duplicateExecutions = executions.Values.Sum(n => n - 1);
        var duplicateEffects = effects.Values.Sum(n => n - 1);
        output.WriteLine($"jobs {jobs}, kills {killed}, completed {states.GetValueOrDefault("completed")}, " +
                         $"executions {executions.Values.Sum()}, duplicate executions {duplicateExecutions}, " +
                         $"effects {effects.Values.Sum()}, duplicate effects {duplicateEffects}");

        Assert.True(killed >= kills, $"only {killed} kills landed mid-run");
        Assert.Equal(jobs, states.GetValueOrDefault("completed"));
        Assert.Equal(jobs, states.Values.Sum());
        Assert.Equal(jobs, effects.Count);
        Assert.Equal(0, duplicateEffects);
    }

    [Fact]
    public async Task PausedPastItsLease_ZombieCompletionIsRejected_NoEffectDoubles()
    {
        await PrepareAsync(1);
        // The zombie records the effect, then keeps working past its lease while frozen.
        using var zombie = WorkerProcess.Start(Database, Log, "--concurrency", "1", "--lease-ms", "1500", "--work-ms", "0", "--block-first-ms", "3000", "--drain");
        await EventLogFile.WaitForLineAsync(Log, l => l == $"effect 1 {zombie.Id}", TimeSpan.FromSeconds(60));
        zombie.Pause();

        using (var rescuer = WorkerProcess.Start(Database, Log, "--concurrency", "1", "--lease-ms", "1500", "--work-ms", "0", "--drain"))
        {
            Assert.Equal(0, await rescuer.WaitForExitAsync(TimeSpan.FromMinutes(1)));
            var job = await ReadJobAsync(1);
            Assert.Equal(JobState.Completed, job.State);
            Assert.Equal(2, job.Attempt);
        }

        zombie.Resume();
        Assert.Equal(0, await zombie.WaitForExitAsync(TimeSpan.FromMinutes(1)));

        var lines = EventLogFile.Lines(Log);
        output.WriteLine(string.Join(Environment.NewLine, lines));
        Assert.Contains($"rejected 1 {zombie.Id}", lines);
        Assert.Equal(2, lines.Count(l => l.StartsWith("exec 1 ", StringComparison.Ordinal)));
        Assert.Equal(1, (await EffectCountsAsync())[1]);
        Assert.Equal(JobState.Completed, (await ReadJobAsync(1)).State);
    }

    private async Task PrepareAsync(int jobs)
    {
        await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = Database });
        await store.MigrateAsync(CancellationToken.None);
        var now = TimeProvider.System.GetUtcNow();
        var inserts = Enumerable.Range(1, jobs)
            .Select(i => new JobInsert { Kind = "effect", Args = $$"""{"sequence":{{i}}}""", ScheduledAt = now, MaxAttempts = 100 })
            .ToArray();
        await store.InsertManyAsync(new InsertManyRequest(inserts, now), CancellationToken.None);
        await ExecuteAsync("CREATE TABLE effects_log(job_id INTEGER NOT NULL, pid INTEGER NOT NULL)");
    }

    private async Task<JobRecord> ReadJobAsync(long id)
    {
        await using var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = Database });
        return await store.GetAsync(id, CancellationToken.None) ?? throw new InvalidOperationException($"job {id} missing");
    }

    private async Task<Dictionary<string, int>> CountByStateAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT state, COUNT(*) FROM pacer_jobs GROUP BY state";
        var counts = new Dictionary<string, int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }

    private async Task<Dictionary<long, int>> EffectCountsAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT job_id, COUNT(*) FROM effects_log GROUP BY job_id";
        var counts = new Dictionary<long, int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetInt64(0)] = reader.GetInt32(1);
        return counts;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException ex)
        {
            output.WriteLine($"Could not delete {_directory}: {ex.Message}");
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTests
{
    public const string Name = "Real worker processes";
}
