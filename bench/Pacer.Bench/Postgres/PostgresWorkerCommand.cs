using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Bench.Systems;
using Pacer.Storage;

namespace Pacer.Bench.Postgres;

/// <summary>
/// <c>postgres-worker</c>: one worker process of a multi-process drain, started by <see cref="ProcessDrainScenario"/>.
/// It builds its system on an existing schema and says <c>ready</c>; on <c>go</c> it starts its workers and reports how
/// many bodies it ran (<c>count N</c>, when it changes); on <c>report</c> it prints when its last body finished
/// (<c>last TIMESTAMP COUNT</c>, Stopwatch ticks, a system-wide clock); on <c>stop</c> (or end of input) it stops and exits.
/// </summary>
internal static class PostgresWorkerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [var system, var connectionString, var schema, var workersText, var warmUpSchema] ||
            !int.TryParse(workersText, CultureInfo.InvariantCulture, out var workers) || system is not ("pacer" or "hangfire"))
        {
            await Console.Error.WriteLineAsync("usage: postgres-worker pacer|hangfire CONNECTION SCHEMA WORKERS WARM-UP-SCHEMA (started by the postgres command)");
            return 2;
        }
        await WarmUpAsync(system, connectionString, warmUpSchema, workers);
        await using (var worker = await CreateAsync(system, connectionString, schema, workers))
        {
            Console.Out.Flush();
            await Console.Out.WriteLineAsync("ready");
            await Console.Out.FlushAsync();
            using var stop = new CancellationTokenSource();
            Task? reporter = null;
            while (await Console.In.ReadLineAsync() is { } line)
            {
                switch (line)
                {
                    case "go":
                        await worker.StartWorkersAsync();
                        reporter = ReportCountsAsync(stop.Token);
                        break;
                    case "report":
                        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"last {JobBodies.LastFinishedAt} {JobBodies.Done}"));
                        await Console.Out.FlushAsync();
                        break;
                    case "stop":
                        await stop.CancelAsync();
                        if (reporter is not null)
                            await reporter;
                        return 0;
                }
            }
            await stop.CancelAsync();
            if (reporter is not null)
                await reporter;
        }
        return 0;
    }

    private static async Task<IJobSystem> CreateAsync(string system, string connectionString, string schema, int workers)
    {
        if (system != "pacer")
            return new HangfireFactory.HangfireSystem(HangfirePostgresFactory.Storage(connectionString, schema), workers);
        var provider = PacerPostgresFactory.Build(connectionString, schema, workers);
        // Fills write before the engine starts (which is when it would migrate); on a migrated schema this only checks.
        await provider.GetRequiredService<IJobStore>().MigrateAsync(CancellationToken.None);
        return new PacerSqliteFactory.PacerSqliteSystem(provider);
    }

    /// <summary>
    /// Untimed: a small drain on a schema of its own, so the measured drain is not billed for this process's JIT (the
    /// engine, the store, Npgsql) and first connections. The schema is dropped afterwards and the body count reset.
    /// </summary>
    private static async Task WarmUpAsync(string system, string connectionString, string schema, int workers)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema };
        await using (var warmUp = await CreateAsync(system, builder.ConnectionString, schema, workers))
        {
            await warmUp.FillAsync(JobBody.Noop, WarmUpJobs);
            var done = JobBodies.ExpectDone(WarmUpJobs);
            await warmUp.StartWorkersAsync();
            await done.WaitAsync(TimeSpan.FromMinutes(2));
        }
        _ = JobBodies.ExpectDone(long.MaxValue);
        await using var data = Npgsql.NpgsqlDataSource.Create(builder.ConnectionString);
        await using var drop = data.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await drop.ExecuteNonQueryAsync();
    }

    private const int WarmUpJobs = 200;

    private static async Task ReportCountsAsync(CancellationToken stop)
    {
        long last = -1;
        while (!stop.IsCancellationRequested)
        {
            var done = JobBodies.Done;
            if (done != last)
            {
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"count {done}"));
                await Console.Out.FlushAsync();
                last = done;
            }
            await Task.Delay(20, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The parent's handle on one worker process: lines in, lines out.</summary>
    internal sealed class Handle : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task _reader;
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource<(long Last, long Count)> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _count;

        private Handle(Process process)
        {
            _process = process;
            _reader = Task.Run(ReadAsync);
        }

        public long Count => Interlocked.Read(ref _count);

        public Task Ready => _ready.Task;

        /// <summary>Raised on every count a worker reports, so the parent can check the total.</summary>
        public event Action? Counted;

        public static Handle Start(string system, string connectionString, string schema, int workers, string warmUpSchema)
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            // Run as `dotnet Pacer.Bench.dll ...` (ProcessPath is the dotnet host) or as the apphost itself.
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
                info.ArgumentList.Add(typeof(PostgresWorkerCommand).Assembly.Location);
            foreach (var arg in new[] { "postgres-worker", system, connectionString, schema, workers.ToString(CultureInfo.InvariantCulture), warmUpSchema })
                info.ArgumentList.Add(arg);
            var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a worker process.");
            process.StandardInput.AutoFlush = true;
            return new Handle(process);
        }

        public Task SendAsync(string line) => _process.StandardInput.WriteLineAsync(line);

        public async Task<(long Last, long Count)> ReportAsync(TimeSpan patience)
        {
            _report = new TaskCompletionSource<(long, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
            await _process.StandardInput.WriteLineAsync("report");
            await _process.StandardInput.FlushAsync();
            return await _report.Task.WaitAsync(patience);
        }

        private async Task ReadAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "ready":
                        _ready.TrySetResult();
                        break;
                    case "count":
                        Interlocked.Exchange(ref _count, long.Parse(parts[1], CultureInfo.InvariantCulture));
                        Counted?.Invoke();
                        break;
                    case "last":
                        _report.TrySetResult((long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)));
                        break;
                }
            }
            _ready.TrySetException(new InvalidOperationException($"The worker process exited ({(_process.HasExited ? _process.ExitCode : -1)}) before it was ready."));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                try
                {
                    await _process.StandardInput.WriteLineAsync("stop");
                    await _process.StandardInput.FlushAsync();
                }
                catch (IOException)
                {
                    // It exited meanwhile; nothing to tell it.
                }
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    await _process.WaitForExitAsync(patience.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            await _reader;
            _process.Dispose();
        }
    }
}
