using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pacer;

// Usage: Pacer.TestWorker --db PATH|CONNECTION-STRING --log PATH [--schema NAME] [--concurrency N] [--lease-ms N] [--work-ms N]
//        [--block-first-ms N] [--drain] [--rate-host HOST:PORT --rate 50/s [--burst N]]
// --db is a SQLite file or a PostgreSQL connection string (password from PGPASSWORD, never on the command line).
// --rate-host adds the built-in kinds and a resource "hooks" with that rate on that host (the shared-limit test).
// Every line it writes to --log.PID is an event the test reads: "started PID", "exec JOB ATTEMPT PID UTC-TICKS",
// "effect JOB PID", "rejected COUNT PID", "drained PID". Lines are flushed one by one, so a SIGKILL loses none that were written.
var options = WorkerArgs.Parse(args);
// One file per process: writers in two processes appending to one file would overwrite each other's lines.
using var log = new EventLog($"{options.LogPath}.{Environment.ProcessId}");

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(log);
builder.Services.AddSingleton(options);
var pacer = builder.Services.AddPacer(p => p
    .AddJob<EffectHandler, EffectArgs>("effect")
    .Configure(o =>
    {
        o.Concurrency = options.Concurrency;
        o.LeaseDuration = TimeSpan.FromMilliseconds(options.LeaseMs);
        o.PollInterval = TimeSpan.FromMilliseconds(200);
        o.MaintenanceInterval = TimeSpan.FromMilliseconds(200);
        o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) };
    }));
if (PostgresConnectionString.Looks(options.DatabasePath))
    pacer.UsePostgres(options.DatabasePath, o => o.Schema = options.Schema ?? "pacer");
else
    pacer.UseSqlite(options.DatabasePath);
if (options.RateHost is { } rateHost)
{
    pacer.AddBuiltInJobs().AddResource("hooks", r =>
    {
        r.Rate = options.Rate ?? "50/s";
        r.Burst = options.Burst;
        r.Hosts = [rateHost];
    });
}

using var host = builder.Build();
using var rejected = new MeterListener();
rejected.InstrumentPublished = (instrument, listener) =>
{
    if (instrument.Meter.Name == PacerTelemetryNames.Meter && instrument.Name == "pacer.completions.rejected")
        listener.EnableMeasurementEvents(instrument);
};
rejected.SetMeasurementEventCallback<long>((_, value, _, _) => log.Write($"rejected {value} {Environment.ProcessId}"));
rejected.Start();

await host.StartAsync();
log.Write($"started {Environment.ProcessId}");
if (options.Drain)
{
    await host.Services.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(CancellationToken.None);
    log.Write($"drained {Environment.ProcessId}");
    await host.StopAsync();
    return 0;
}
await host.WaitForShutdownAsync();
return 0;

internal sealed record EffectArgs(int Sequence = 0);

internal sealed class EffectHandler(EventLog log, WorkerArgs options) : IJobHandler<EffectArgs>
{
    public async Task HandleAsync(EffectArgs args, JobContext context)
    {
        var pid = Environment.ProcessId;
        log.Write($"exec {context.JobId} {context.Attempt} {pid} {DateTime.UtcNow.Ticks}");
        await Task.Delay(options.WorkMs, context.CancellationToken);
        // The effect is a row in the store's own database, written in the same transaction as its ledger record.
        // effects_log has no unique constraint on purpose: a second write would show up as a duplicate row.
        await context.Effects.RunInStoreTransactionAsync($"effect:{context.JobId}", async (transaction, ct) =>
        {
            await using var insert = transaction.Connection!.CreateCommand();
            insert.Transaction = transaction;
            // Named @ parameters and no provider types: the same code writes to SQLite and to PostgreSQL (whose
            // connection string's search_path names the test's schema).
            insert.CommandText = "INSERT INTO effects_log(job_id, pid) VALUES (@job, @pid)";
            insert.Parameters.Add(Parameter(insert, "job", context.JobId));
            insert.Parameters.Add(Parameter(insert, "pid", (long)pid));
            return await insert.ExecuteNonQueryAsync(ct);
        });
        log.Write($"effect {context.JobId} {pid}");
        if (context.Attempt == 1 && options.BlockFirstMs > 0)
        {
            // A worker that is about to be paused past its lease: it ignores its token, as a zombie would.
            await Task.Delay(options.BlockFirstMs, CancellationToken.None);
        }
    }

    private static System.Data.Common.DbParameter Parameter(System.Data.Common.DbCommand command, string name, long value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        return parameter;
    }
}

internal sealed class EventLog(string path) : IDisposable
{
    private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    private readonly Lock _lock = new();

    public void Write(string line)
    {
        lock (_lock)
            _writer.WriteLine(line);
    }

    public void Dispose() => _writer.Dispose();
}

internal sealed record WorkerArgs(string DatabasePath, string LogPath, int Concurrency, int LeaseMs, int WorkMs, int BlockFirstMs, bool Drain,
    string? Schema, string? RateHost, string? Rate, int Burst)
{
    public static WorkerArgs Parse(string[] args)
    {
        string? Get(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        int GetInt(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new WorkerArgs(
            Get("--db") ?? throw new ArgumentException("--db PATH is required"),
            Get("--log") ?? throw new ArgumentException("--log PATH is required"),
            GetInt("--concurrency", 8),
            GetInt("--lease-ms", 2000),
            GetInt("--work-ms", 20),
            GetInt("--block-first-ms", 0),
            args.Contains("--drain"),
            Get("--schema"),
            Get("--rate-host"),
            Get("--rate"),
            GetInt("--burst", 1));
    }
}
