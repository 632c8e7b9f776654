using Pacer.Bench.ChannelSync;
using Pacer.Bench.Micro;
using Pacer.Bench.Pacing;
using Pacer.Bench.Postgres;
using Pacer.Bench.Scenarios;

// The benchmark runner: `engine` runs the scenarios side by side with Hangfire, `micro` the BenchmarkDotNet suite,
// `pacing`, `admission` and `postgres` the resource-admission and PostgreSQL comparisons,
// `sync` the channel sync against a naive sequential script (`sync-child` is the processes it starts).
return args switch
{
    ["engine", .. var rest] => await EngineCommand.RunAsync(rest),
    ["micro", .. var rest] => MicroCommand.Run(rest),
    ["pacing", .. var rest] => await PacingCommand.RunAsync(rest),
    ["admission", .. var rest] => await AdmissionCostCommand.RunAsync(rest),
    ["postgres", .. var rest] => await PostgresCommand.RunAsync(rest),
    ["postgres-worker", .. var rest] => await PostgresWorkerCommand.RunAsync(rest),
    ["sync", .. var rest] => await SyncCommand.RunAsync(rest),
    ["sync-child", .. var rest] => await SyncChild.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine(
        "usage: dotnet run -c Release --project bench/Pacer.Bench -- <command>\n\n" +
        EngineCommand.Usage + "\n\n" +
        MicroCommand.Usage + "\n\n" +
        PacingCommand.Usage + "\n\n" +
        AdmissionCostCommand.Usage + "\n\n" +
        PostgresCommand.Usage + "\n\n" +
        SyncCommand.Usage);
    return 2;
}
