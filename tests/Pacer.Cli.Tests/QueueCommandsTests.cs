using System.Text.Json;

namespace Pacer.Cli.Tests;

/// <summary><c>pacer queues</c>: list, pause and resume, and what a drained worker does with a paused queue.</summary>
public sealed class QueueCommandsTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Queues_List_ShowsPausedFlagAndCountsByState()
    {
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop");
        await _cli.EnqueueAsync("noop", "--queue", "emails");
        await _cli.EnqueueAsync("noop", "--queue", "emails", "--in", "1h");
        await _cli.OkAsync("queues", "pause", "emails");
        var config = await _cli.ConfigAsync("""{"Pacer":{"Queues":{"default":5,"reports":1}}}""");

        var plain = await _cli.OkAsync("queues", "--config", config);
        var alias = await _cli.OkAsync("queues", "list", "--config", config);
        var json = JsonDocument.Parse(await _cli.OkAsync("queues", "--json", "--config", config)).RootElement;

        Assert.Equal(plain, alias);
        var lines = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["QUEUE", "PAUSED", "SCHEDULED", "AVAILABLE", "WAITING", "RUNNING", "RETRYABLE", "COMPLETED", "CANCELLED", "DISCARDED"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^default\s+-\s+0\s+1\s+0\s+0\s+0\s+0\s+0\s+0$", lines[1]);
        Assert.Matches(@"^emails\s+since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+1\s+1\s+0\s+0\s+0\s+0\s+0\s+0$", lines[2]);
        Assert.Matches(@"^reports\s+-\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+0$", lines[3]);
        Assert.Equal(4, lines.Length);

        var emails = json.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "emails");
        Assert.True(emails.GetProperty("paused").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, emails.GetProperty("pausedChangedAt").ValueKind);
        Assert.Equal(1, emails.GetProperty("counts").GetProperty("scheduled").GetInt64());
        Assert.Equal(1, emails.GetProperty("counts").GetProperty("available").GetInt64());
        Assert.Equal(0, emails.GetProperty("counts").GetProperty("waiting").GetInt64());
    }

    [Fact]
    public async Task Queues_PauseAndResume_SayWhatChanged()
    {
        await _cli.OkAsync("migrate");

        var paused = await _cli.OkAsync("queues", "pause", "emails");
        var pausedAgain = await _cli.OkAsync("queues", "pause", "emails");
        var resumed = await _cli.OkAsync("queues", "resume", "emails");
        var resumedAgain = await _cli.OkAsync("queues", "resume", "emails");
        var json = JsonDocument.Parse(await _cli.OkAsync("queues", "--json")).RootElement;

        Assert.Equal("Paused queue emails: no worker fetches its jobs (running ones finish). Resume it with 'pacer queues resume emails'.\n", paused);
        Assert.Equal("Queue emails was already paused.\n", pausedAgain);
        Assert.Equal("Resumed queue emails: workers fetch its jobs again.\n", resumed);
        Assert.Equal("Queue emails was not paused.\n", resumedAgain);
        Assert.False(Assert.Single(json.EnumerateArray()).GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task PausingAQueue_HoldsTheQueuesNamedAfterIt_AsTheListAndADrainSay()
    {
        // default:web-1 is a machine's queue of the channel-sync recipe: an operator pausing default means its work too.
        // (--queues, as a JSON key under Pacer:Queues cannot hold a ':', .NET configuration's separator.)
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop", "--queue", "default:web-1");

        var paused = await _cli.OkAsync("queues", "pause", "default");
        var list = (await _cli.OkAsync("queues")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var json = JsonDocument.Parse(await _cli.OkAsync("queues", "--json")).RootElement;
        var drained = await _cli.OkAsync("run", "--drain", "--queues", "default=5,default:web-1=5");
        var held = (await _cli.ShowAsync(id)).GetProperty("state").GetString();
        var notItsOwn = await _cli.OkAsync("queues", "resume", "default:web-1");
        await _cli.OkAsync("queues", "resume", "default");
        await _cli.OkAsync("run", "--drain", "--queues", "default=5,default:web-1=5");

        Assert.Contains("Queues named after it follow: default:web-1.", paused, StringComparison.Ordinal);
        Assert.Matches(@"^default:web-1\s+with default\s+0\s+1\s", list[2]);
        var machine = json.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "default:web-1");
        Assert.True(machine.GetProperty("paused").GetBoolean());
        Assert.Equal("default", machine.GetProperty("pausedWith").GetString());
        Assert.Equal("Drained: no job is running or due.\nQueue default is paused; its jobs run after 'pacer queues resume default'.\n", drained);
        Assert.Equal("available", held);
        Assert.Equal("Queue default:web-1 was not paused. It stays held while default is paused.\n", notItsOwn);
        Assert.Equal("completed", (await _cli.ShowAsync(id)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Queues_NoneAtAll_SaysSo()
    {
        await _cli.OkAsync("migrate");

        Assert.Equal($"No queues: {_cli.Database} has no jobs and no paused queue.\n", await _cli.OkAsync("queues"));
    }

    [Fact]
    public async Task RunDrain_PausedQueue_LeavesItsJobs_AndResumeLetsTheNextDrainRunThem()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");
        await _cli.OkAsync("queues", "pause", "default");

        var first = await _cli.OkAsync("run", "--drain");
        var held = (await _cli.ShowAsync(id)).GetProperty("state").GetString();
        await _cli.OkAsync("queues", "resume", "default");
        var second = await _cli.OkAsync("run", "--drain");

        Assert.Equal("Drained: no job is running or due.\nQueue default is paused; its jobs run after 'pacer queues resume default'.\n", first);
        Assert.Equal("available", held);
        Assert.Equal("Drained: no job is running or due.\n", second);
        Assert.Equal("completed", (await _cli.ShowAsync(id)).GetProperty("state").GetString());
    }
}
