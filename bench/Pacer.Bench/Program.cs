using Pacer.Bench.ChannelSync;
using Pacer.Bench.Micro;
using Pacer.Bench.Scenarios;

// The benchmark runner: `engine` runs the scenarios side by side with Hangfire, `micro` the BenchmarkDotNet suite,
// `sync` the channel sync against a naive sequential script (`sync-child` is the processes it starts).
return args switch
{
    ["engine", .. var rest] => await EngineCommand.RunAsync(rest),
    ["micro", .. var rest] => MicroCommand.Run(rest),
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
        SyncCommand.Usage);
    return 2;
}
