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

    private static int JobsPerRound(BenchSize size) => size == BenchSize.Quick ? 2_000 : 20_000;

    public string Method(BenchSize size) =>
        $"Pacer only (Hangfire expires finished jobs on its own schedule, an hour or more; n/a). One process, {Workers} workers, " +
        $"FinalizedRetention = 0, MaintenanceInterval 1 s: {Rounds} rounds of {JobsPerRound(size):N0} no-op jobs, each enqueued in batches of " +
        "1,000 while the engine runs, and timed until its bodies ran and the cleaner deleted every row (the table counted every " +
        "50 ms). Size: pg_total_relation_size of pacer_jobs (heap, indexes, TOAST) once a round's rows are gone.";

    public IEnumerable<BenchCase> Cases(BenchSize size)
    {
        var jobs = JobsPerRound(size);
        yield return new BenchCase(Name, $"{Rounds} rounds of {jobs:N0} no-op jobs, retention 0", async (factory, _, cancellationToken) =>
        {
            if (factory is not PacerPostgresFactory)
                return [];
            var (elapsed, sizes) = await MeasureAsync(jobs, cancellationToken);
            var total = jobs * Rounds;
            return
            [
                new Figure("drain and clean", total / elapsed.TotalSeconds, "jobs/s", Better.Higher) { Detail = $"{total:N0} jobs in {elapsed.TotalSeconds:0.00} s" },
                new Figure("table after round 1", sizes[0] / 1e6, "MB", Better.Lower),
                new Figure($"table after round {Rounds}", sizes[^1] / 1e6, "MB", Better.Lower),
            ];
        });
    }

    private async Task<(TimeSpan Elapsed, List<long> Sizes)> MeasureAsync(int jobs, CancellationToken cancellationToken)
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
            var clock = Stopwatch.StartNew();
            for (var round = 0; round < Rounds; round++)
            {
                var done = JobBodies.ExpectDone(jobs);
                if (round == 0)
                    await system.StartWorkersAsync();
                await system.FillAsync(JobBody.Noop, jobs);
                await done.WaitAsync(Patience, cancellationToken);
                using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                patience.CancelAfter(Patience);
                while (await ScalarAsync(data, $"SELECT count(*) FROM \"{schema}\".pacer_jobs", patience.Token) > 0)
                    await Task.Delay(50, patience.Token);
                sizes.Add(await ScalarAsync(data, $"SELECT pg_total_relation_size('\"{schema}\".pacer_jobs')", cancellationToken));
            }
            return (clock.Elapsed, sizes);
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
