using System.Diagnostics;

namespace Pacer.Cli.Tests;

public sealed class RunAndDemoTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Run_WithoutDrain_WorksUntilStopped_ThenStopsGracefullyWithExit0()
    {
        await _cli.OkAsync("migrate");
        var id = await _cli.EnqueueAsync("noop");
        using var stop = new CancellationTokenSource();

        var run = _cli.RunAsync(stop.Token, "run");
        await using (var store = SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _cli.Database }))
            Assert.Equal(JobState.Completed, (await _cli.WaitUntilFinalAsync(store, id)).State);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Run_NewDatabase_CreatesAndMigratesIt()
    {
        var result = await _cli.RunAsync("run", "--drain");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("up to date", await _cli.OkAsync("migrate"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pacer.json")]
    [InlineData(".pacer.json")] // a hidden file is a file: the runtime's file provider leaves such names out by default
    public async Task Run_ConfigFile_SetsEngineOptions(string name)
    {
        var config = Path.Combine(_cli.Folder, name);
        await File.WriteAllTextAsync(config, """{"Pacer":{"Queues":{"reports":1}}}""");
        await _cli.OkAsync("migrate");
        var report = await _cli.EnqueueAsync("noop", "--queue", "reports");
        var other = await _cli.EnqueueAsync("noop");

        await _cli.OkAsync("run", "--drain", "--config", config);

        Assert.Equal("completed", (await _cli.ShowAsync(report)).GetProperty("state").GetString());
        Assert.Equal("available", (await _cli.ShowAsync(other)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Demo_SyncsALocalYouTubeIntoXlsxAndCsv_ThenOnlyTheNewUploads()
    {
        var folder = Path.Combine(_cli.Folder, "demo");
        var clock = Stopwatch.StartNew();

        var first = await _cli.RunAsync("demo", "--dir", folder);
        var second = await _cli.RunAsync("demo", "--dir", folder);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"Two demos took {clock.Elapsed}.");
        var output = second.Out;
        Assert.DoesNotContain('\u001b', output);
        Assert.Contains("channels:   32 (32 synced)", output, StringComparison.Ordinal);
        Assert.Contains("6 new uploads appeared on 2 channels", output, StringComparison.Ordinal);
        var news = System.Text.RegularExpressions.Regex.Matches(output, @"new videos: ([\d,]+) \(([\d,]+) rows written to 2 destinations, 0 duplicates skipped\)");
        Assert.Equal(2, news.Count);
        var total = Number(news[0].Groups[1].Value) + Number(news[1].Groups[1].Value);
        Assert.Equal(6, Number(news[1].Groups[1].Value));
        // The incremental sync asked again only for what changed: each unchanged channel's first page came back 304.
        Assert.Matches(@"API calls:  \d+ \(30 answered 304", output);
        // And what to do next, against YouTube itself.
        Assert.Contains("set PACER_YOUTUBE_API_KEY to a YouTube Data API key, and run: pacer sync --channels channels.txt --to videos.xlsx", output, StringComparison.Ordinal);

        // The second demo replaced the first one's files: every video once.
        var lines = await File.ReadAllLinesAsync(Path.Combine(folder, "videos.csv"));
        var ids = lines.Skip(1).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(total, ids.Length);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.True(new FileInfo(Path.Combine(folder, "videos.xlsx")).Length > 0);
        Assert.False(File.Exists(Path.Combine(folder, "videos.xlsx.pending.csv")));
    }

    private static int Number(string text) => int.Parse(text.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
}
