using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Pacer.Bench.Scenarios;
using Pacer.Bench.Systems;
using Pacer.Storage;

namespace Pacer.Bench.Postgres;

/// <summary>
/// The cleaner under churn (Pacer only): rounds of no-op jobs drained with a retention of zero, so every finished job is
/// deleted by the cleaner as the engine goes. Measures the rate of drain plus clean-up, and the job table's size on disk
/// after each round: a table that keeps its size from round to round is one autovacuum and the cleaner keep healthy.
/// </summary>
internal sealed class CleanerScenario(PostgresCluster cluster) : IScenario
{
    private const int Workers = 10;
    private const int Rounds = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    public string Name => "cleaner";

    // PACER_BENCH_ROUND overrides the round's size, for looking into the slower rounds after the first clean-up.
    private static int JobsPerRound(BenchSize size) => size == BenchSize.Quick ? 2_000 :
        Environment.GetEnvironmentVariable("PACER_BENCH_ROUND") is { } r ? int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : 20_000;

    public string Method(BenchSize size) =>
        $"Pacer only (Hangfire expires finished jobs on its own schedule, an hour or more; n/a). One process, {Workers} workers, " +
        $"FinalizedRetention = 0, MaintenanceInterval 1 s (the cleaner deletes up to 10,000 rows a tick while it finds any, and " +
        $"looks once a minute when it found none): {Rounds} rounds of {JobsPerRound(size):N0} no-op jobs, each enqueued in batches " +
        "of 1,000 while the engine runs. Drain: the rounds' jobs over the time until each round's bodies ran (the cleaner " +
        "deleting meanwhile). Cleared: the longest wait, after a round's bodies ran, until the cleaner had deleted every row " +
        "(counted every 50 ms). Size: pg_total_relation_size of pacer_jobs (heap, indexes, TOAST) once a round's rows are gone.";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        var jobs = JobsPerRound(size);
        yield return new BenchCase(Name, $"{Rounds} rounds of {jobs:N0} no-op jobs, retention 0", async (factory, _, cancellationToken) =>
        {
            if (factory is not PacerPostgresFactory)
                return [];
            var (drain, cleared, sizes) = await MeasureAsync(jobs, cancellationToken);
            var total = jobs * Rounds;
            return
            [
                new Figure("drain, cleaner on", total / drain.TotalSeconds, "jobs/s", Better.Higher) { Detail = $"{total:N0} jobs in {drain.TotalSeconds:0.00} s" },
                new Figure("cleared after a round", cleared.TotalSeconds, "s", Better.Lower),
                new Figure("table after round 1", sizes[0] / 1e6, "MB", Better.Lower),
                new Figure($"table after round {Rounds}", sizes[^1] / 1e6, "MB", Better.Lower),
            ];
        });
    }

    private async Task<(TimeSpan Drain, TimeSpan Cleared, List<long> Sizes)> MeasureAsync(int jobs, CancellationToken cancellationToken)
    {
        var schema = PacerPostgresFactory.NewSchema("clean");
        var connectionString = cluster.For(schema);
        try
        {
            var provider = PacerPostgresFactory.Build(connectionString, schema, Workers, options => options.FinalizedRetention = TimeSpan.Zero);
            await provider.GetRequiredService<IJobStore>().MigrateAsync(cancellationToken);
            await using var system = new PacerSqliteFactory.PacerSqliteSystem(provider);
            await using var data = NpgsqlDataSource.Create(connectionString);
            var sizes = new List<long>();
            TimeSpan drain = default, cleared = default;
            var rounds = new List<string>();
            for (var round = 0; round < Rounds; round++)
            {
                var done = JobBodies.ExpectDone(jobs);
                var started = Stopwatch.GetTimestamp();
                if (round == 0)
                    await system.StartWorkersAsync();
                await system.FillAsync(JobBody.Noop, jobs);
                var filled = Stopwatch.GetElapsedTime(started);
                await done.WaitAsync(Patience, cancellationToken);
                var ran = Stopwatch.GetTimestamp();
                drain += Stopwatch.GetElapsedTime(started, ran);
                rounds.Add($"{Stopwatch.GetElapsedTime(started, ran).TotalSeconds:0.00} (enqueued in {filled.TotalSeconds:0.00})");
                using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                patience.CancelAfter(Patience);
                while (await ScalarAsync(data, $"SELECT count(*) FROM \"{schema}\".pacer_jobs", patience.Token) > 0)
                    await Task.Delay(50, patience.Token);
                var wait = Stopwatch.GetElapsedTime(ran);
                cleared = wait > cleared ? wait : cleared;
                sizes.Add(await ScalarAsync(data, $"SELECT pg_total_relation_size('\"{schema}\".pacer_jobs')", cancellationToken));
            }
            Console.WriteLine($"    drains of the rounds: {string.Join(", ", rounds)} s");
            return (drain, cleared, sizes);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await cluster.DropSchemaAsync(schema);
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource data, string sql, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
