using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pacer.Emulators;
using Pacer.Postgres.Tests;
using Pacer.Storage;

namespace Pacer.ChannelSync.Tests;

/// <summary>
/// On a store several machines share (PostgreSQL), a run that writes local files must not spread over the machines: each
/// would write its own copy of the file, holding part of the rows, and the next incremental run on any of them would stop
/// paging at videos its copy lacks. Two engines named as two machines stand for them here.
/// </summary>
public sealed class MachinesTests
{
    [Fact]
    public async Task ARunWithALocalFile_RunsWhollyOnTheMachineThatTookItsRunJob()
    {
        var server = await PostgresServer.GetAsync();
        var schema = PostgresServer.NewSchema();
        try
        {
            await using var youtube = await YouTubeEmulator.StartAsync(new YouTubeEmulatorOptions { ChannelCount = 8, MaxVideosPerChannel = 120, Seed = 9 });
            Action<PacerBuilder> store = p => p.UsePostgres(server.ConnectionString, o => o.Schema = schema);
            await using var a = await SyncHarness.StartAsync(youtube.BaseAddress, store: store, channelSync: o => o.Host = "machine-a");
            await using var b = await SyncHarness.StartAsync(youtube.BaseAddress, store: store, channelSync: o => o.Host = "machine-b (2)");

            // Each machine works the recipe's queue and its own local queue, with the same cap.
            Assert.Equal(16, a.Host.Services.GetRequiredService<IOptions<PacerOptions>>().Value.Queues["default:machine-a"]);
            Assert.Equal(["default", "default:machine-b--2-"], b.Host.Services.GetRequiredService<IOptions<PacerOptions>>().Value.Queues.Keys.Order());

            var csv = a.PathOf("videos.csv");
            var run = await a.StartRunAsync(youtube.Channels.Select(c => c.Id), csv);
            var summary = await a.WaitAsync(run);

            var jobs = await a.Store.ListAsync(new JobQuery { Tag = SyncKeys.Tag(run) }, CancellationToken.None);
            var ranOn = a.Host.Services.GetRequiredService<ChannelSyncProgress>().For(run).Pages > 0 ? "machine-a" : "machine-b--2-";
            var other = ranOn == "machine-a" ? b : a;
            // Every channel job and the finish job in the queue of the machine whose engine planned the run; the other
            // machine fetched none of them.
            Assert.All(jobs.Where(j => j.Kind != ChannelSyncKinds.Run), j => Assert.Equal($"default:{ranOn}", j.Queue));
            Assert.Equal(10, jobs.Count); // the run job, 8 channel jobs, the finish job
            Assert.Equal(0, other.Host.Services.GetRequiredService<ChannelSyncProgress>().For(run).Pages);
            Assert.Equal((8, youtube.Channels.Sum(c => c.VideoCount)), (summary.ChannelsSynced, summary.Written));
        }
        finally
        {
            await server.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public void QueueFor_OnlyLocalFilesOnAStoreThatSpansMachines_GoToTheLocalQueue()
    {
        var options = new ChannelSyncOptions { Host = "box.example.org" };
        var shared = new StoreCapabilities("postgres", true, true) { SpansMachines = true };
        var local = new StoreCapabilities("sqlite", false, true);

        Assert.Equal("default:box.example.org", options.QueueFor(["videos.csv", "sheets:1AbC/Videos"], shared));
        Assert.Equal("default:box.example.org", options.QueueFor(["sqlite:/data/v.db"], shared));
        Assert.Null(options.QueueFor(["sheets:1AbC/Videos"], shared));
        Assert.Null(options.QueueFor(["videos.csv"], local));
    }
}
