using System.Globalization;
using System.Text.Json;
using Pacer.Tests.BuiltIn;

namespace Pacer.Cli.Tests;

/// <summary><c>pacer resources</c>, waiting jobs in the job commands, and a paused resource holding back a real http job.</summary>
public sealed class ResourceCommandsTests : IDisposable
{
    // Port 9 (discard) on loopback: nothing answers, and no test lets a job on it run.
    private const string Config = """
        {
          "Pacer": {
            "Resources": {
              "hooks": { "Rate": "50/s", "Burst": 5, "Concurrency": 4, "Hosts": ["127.0.0.1:9"] },
              "youtube": {
                "Quota": "10000/day@America/Los_Angeles", "Rate": "5/s",
                "Breaker": { "FailureRatio": 0.5, "MinimumCalls": 10, "Break": "30s" },
                "Hosts": ["youtube.googleapis.com"]
              },
              "account-{AccountId}": { "Concurrency": 1 }
            }
          }
        }
        """;

    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<string> SetUpAsync()
    {
        await _cli.OkAsync("migrate");
        return await _cli.ConfigAsync(Config);
    }

    private async Task<JsonElement> ResourceAsync(string config, string name)
    {
        var result = await _cli.RunAsync("resources", "--json", "--config", config);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json().EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task Resources_List_ShowsLimitsPermitsQuotaBreakerAndWaiting()
    {
        var config = await SetUpAsync();

        var plain = await _cli.OkAsync("resources", "--config", config);
        var alias = await _cli.OkAsync("resources", "list", "--config", config);

        Assert.Equal(plain, alias);
        var lines = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["RESOURCE", "RATE", "FREE", "IN", "USE", "QUOTA", "USED/LEFT", "RESETS", "BREAKER", "PAUSED", "WAITING"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["account-{AccountId}", "hooks", "sheets", "youtube"], lines[1..].Select(l => l.Split(' ')[0]));
        Assert.Matches(@"^account-\{AccountId\}\s+-\s+-\s+-/1\s+-\s+-\s+-\s+-\s+-\s+0$", lines[1]);
        Assert.Matches(@"^hooks\s+50/s \(burst 5\)\s+5\s+0/4\s+-\s+-\s+-\s+-\s+-\s+0$", lines[2]);
        Assert.Matches(@"^youtube\s+5/s\s+1\s+0\s+10000/day@America/Los_Angeles\s+0/10,000\s+\d{4}-\d\d-\d\d (07|08):00:00Z\s+closed\s+-\s+0$", lines[4]);

        var youtube = await ResourceAsync(config, "youtube");
        Assert.Equal(10000, youtube.GetProperty("quotaRemaining").GetInt64());
        Assert.Equal(0, youtube.GetProperty("quotaUsed").GetInt64());
        Assert.Equal("closed", youtube.GetProperty("breaker").GetString());
        var resets = youtube.GetProperty("quotaResetsAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.Zero, resets.Offset);
        Assert.Equal(0, TimeZoneInfo.ConvertTime(resets, TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles")).TimeOfDay.Ticks);
    }

    [Fact]
    public async Task Resources_NoneConfigured_ListsTheSyncRecipesOwn()
    {
        await _cli.OkAsync("migrate");

        var lines = (await _cli.OkAsync("resources")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var json = (await _cli.OkAsync("resources", "--json"));

        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^sheets\s+60/min\s+1\s+0\s+-\s+-\s+-\s+-\s+-\s+0$", lines[1]);
        Assert.Matches(@"^youtube\s+-\s+-\s+0\s+10000/day@America/Los_Angeles\s+0/10,000\s+\d{4}-\d\d-\d\d (07|08):00:00Z\s+-\s+-\s+0$", lines[2]);
        Assert.Equal(["sheets", "youtube"], JsonDocument.Parse(json).RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Resources_PauseForAWhile_WithReason_ThenResume()
    {
        var config = await SetUpAsync();

        var paused = await _cli.OkAsync("resources", "pause", "hooks", "--for", "5min", "--reason", "deploying the hook server", "--config", config);
        var state = await ResourceAsync(config, "hooks");
        var resumed = await _cli.OkAsync("resources", "resume", "hooks", "--config", config);
        var again = await _cli.OkAsync("resources", "resume", "hooks", "--config", config);

        Assert.StartsWith("Paused hooks until 20", paused, StringComparison.Ordinal);
        Assert.Contains("Resume it with 'pacer resources resume hooks'.", paused, StringComparison.Ordinal);
        Assert.True(state.GetProperty("paused").GetBoolean());
        Assert.Equal("deploying the hook server", state.GetProperty("pauseReason").GetString());
        var left = state.GetProperty("pausedUntil").GetDateTimeOffset() - DateTimeOffset.UtcNow;
        Assert.InRange(left, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.Equal("Resumed hooks: 0 waiting jobs can start again.\n", resumed);
        Assert.Equal("hooks was not paused.\n", again);
        Assert.False((await ResourceAsync(config, "hooks")).GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task Resources_PausedPartition_IsListedUnderItsTemplate()
    {
        var config = await SetUpAsync();

        await _cli.OkAsync("resources", "pause", "account-42", "--config", config);
        await _cli.OkAsync("resources", "pause", "account-7", "--reason", "token revoked", "--config", config);
        var lines = (await _cli.OkAsync("resources", "--config", config)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var json = (await _cli.RunAsync("resources", "--json", "--config", config)).Json();

        Assert.Equal(["account-{AccountId}", "account-42", "account-7", "hooks", "sheets", "youtube"], lines[1..].Select(l => l.Trim().Split(' ')[0]));
        Assert.StartsWith("  account-42 ", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^  account-7\s+-\s+-\s+0/1\s+-\s+-\s+-\s+-\s+until resumed: token revoked\s+0$", lines[3]);
        var partition = json.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "account-7");
        Assert.Equal("account-{AccountId}", partition.GetProperty("template").GetString());
        Assert.True(partition.GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task GlobalConfigOption_MayComeBeforeTheCommand()
    {
        var config = await SetUpAsync();

        var result = await _cli.RunAsync("--config", config, "resources", "pause", "youtube");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True((await ResourceAsync(config, "youtube")).GetProperty("paused").GetBoolean());
    }

    /// <summary>An http job on a paused resource, parked by a drained worker: waiting, with its reason.</summary>
    private async Task<(string Config, long Id)> WaitingJobAsync()
    {
        var config = await SetUpAsync();
        await _cli.OkAsync("resources", "pause", "hooks", "--reason", "deploying", "--config", config);
        var id = await _cli.EnqueueAsync("http", "--args", """{"url":"http://127.0.0.1:9/hook"}""", "--config", config);
        var run = await _cli.OkAsync("run", "--drain", "--config", config);
        Assert.Equal(
            "Drained: no job is running or due.\n1 job waits for a resource; see 'pacer jobs list --state waiting' and 'pacer resources'.\n",
            run);
        return (config, id);
    }

    [Fact]
    public async Task WaitingJob_ListShowAndStatus_SayWhatItWaitsFor()
    {
        var (config, id) = await WaitingJobAsync();

        var list = await _cli.OkAsync("jobs", "list", "--state", "waiting");
        var listJson = JsonDocument.Parse(await _cli.OkAsync("jobs", "list", "--state", "waiting", "--json")).RootElement;
        var show = await _cli.OkAsync("jobs", "show", id.ToString(CultureInfo.InvariantCulture));
        var showJson = await _cli.ShowAsync(id);
        var status = (await _cli.RunAsync("status", "--json")).Json();
        var statusPlain = await _cli.OkAsync("status");
        var hooks = await ResourceAsync(config, "hooks");

        var lines = list.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("WAITING FOR / LAST ERROR", lines[0], StringComparison.Ordinal);
        Assert.Matches($@"^{id}\s+waiting\s+http\s+default\s+0/25\s+.*\s+waiting for hooks: paused until resumed \(deploying\)$", lines[1]);
        var summary = Assert.Single(listJson.EnumerateArray());
        Assert.Equal("hooks", summary.GetProperty("waitingOn").GetString());
        Assert.Equal("waiting for hooks: paused until resumed (deploying)", summary.GetProperty("waitReason").GetString());

        Assert.Contains("waiting on:   hooks\n", show, StringComparison.Ordinal);
        Assert.Contains("wait reason:  waiting for hooks: paused until resumed (deploying)\n", show, StringComparison.Ordinal);
        Assert.Matches(@"wait until:   \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(looked at again then", show);
        Assert.Equal("waiting", showJson.GetProperty("state").GetString());
        Assert.Equal("hooks", showJson.GetProperty("waitingOn").GetString());
        Assert.True(showJson.GetProperty("waitUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal(0, showJson.GetProperty("attempt").GetInt32());
        Assert.Equal("hooks", Assert.Single(showJson.GetProperty("claims").EnumerateArray()).GetProperty("resource").GetString());

        Assert.Equal(1, status.GetProperty("totals").GetProperty("waiting").GetInt64());
        Assert.Contains("WAITING", statusPlain.Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal(1, hooks.GetProperty("waiting").GetInt64());
    }

    [Fact]
    public async Task WaitingJob_Retry_SaysItIsAlreadyWaiting_AndCancel_CancelsIt()
    {
        var (config, id) = await WaitingJobAsync();
        var jobId = id.ToString(CultureInfo.InvariantCulture);

        var retry = await _cli.OkAsync("jobs", "retry", jobId);
        var stillWaiting = (await _cli.ShowAsync(id)).GetProperty("state").GetString();
        var cancel = await _cli.OkAsync("jobs", "cancel", jobId);
        var job = await _cli.ShowAsync(id);

        Assert.Equal($"Job {id} is already waiting to run; nothing changed.\n", retry);
        Assert.Equal("waiting", stillWaiting);
        Assert.Equal($"Job {id} cancelled.\n", cancel);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("waitingOn").ValueKind);
        Assert.Equal(0, (await ResourceAsync(config, "hooks")).GetProperty("waiting").GetInt64());
    }

    [Fact]
    public async Task EndToEnd_PausedResource_HoldsBackAnHttpJobThroughADrain_ThenResumeLetsItComplete()
    {
        var calls = 0;
        await using var server = await TestHttpServer.StartAsync(_ =>
        {
            Interlocked.Increment(ref calls);
            return Task.CompletedTask;
        });
        await _cli.OkAsync("migrate");
        var config = await _cli.ConfigAsync(JsonSerializer.Serialize(new
        {
            Pacer = new { Resources = new { hooks = new { Rate = "50/s", Hosts = new[] { server.BaseAddress.Authority } } } },
        }));

        await _cli.OkAsync("resources", "pause", "hooks", "--reason", "maintenance window", "--config", config);
        var id = await _cli.EnqueueAsync("http", "--args", JsonSerializer.Serialize(new { url = server.Url("/hook"), method = "POST" }), "--config", config);
        var drained = await _cli.OkAsync("run", "--drain", "--config", config);
        var parked = await _cli.ShowAsync(id);

        Assert.Contains("1 job waits for a resource", drained, StringComparison.Ordinal);
        Assert.Equal("waiting", parked.GetProperty("state").GetString());
        Assert.Equal("waiting for hooks: paused until resumed (maintenance window)", parked.GetProperty("waitReason").GetString());
        Assert.Equal(0, parked.GetProperty("attempt").GetInt32());
        Assert.Equal(0, Volatile.Read(ref calls));

        var resumed = await _cli.OkAsync("resources", "resume", "hooks", "--config", config);
        Assert.Equal("available", (await _cli.ShowAsync(id)).GetProperty("state").GetString());
        var finished = await _cli.OkAsync("run", "--drain", "--config", config);
        var job = await _cli.ShowAsync(id);

        Assert.Equal("Resumed hooks: 1 waiting job can start again.\n", resumed);
        Assert.Equal("Drained: no job is running or due.\n", finished);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(1, job.GetProperty("attempt").GetInt32());
        Assert.Equal(1, Volatile.Read(ref calls));
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook", request.PathAndQuery);
    }
}
