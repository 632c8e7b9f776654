namespace Pacer.Cli.Tests;

/// <summary>Every kind of bad input: one clear line on stderr, a non-zero exit, nothing printed to stdout, nothing stored.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string[], int, string> Cases => new()
    {
        { ["enqueue", "htp"], 2, "Unknown job kind 'htp'" },
        { ["enqueue", "http", "--args", "{\"url\": "], 2, "not valid HttpJobArgs JSON" },
        { ["enqueue", "http", "--args", "[1,2]"], 2, "not valid HttpJobArgs JSON" },
        { ["enqueue", "http", "--args", "{\"url\":\"ftp://example.org/x\"}"], 2, "url: must be an absolute http or https URL" },
        { ["enqueue", "http", "--args", "{\"url\":\"https://example.org\",\"verb\":\"GET\"}"], 2, "verb" },
        { ["enqueue", "sleep", "--args", "{\"milliseconds\":-5}"], 2, "milliseconds: must be between 0 and 3600000" },
        { ["enqueue", "noop", "--in", "5x"], 2, "--in '5x' is not a duration" },
        { ["enqueue", "noop", "--at", "tomorrow"], 2, "--at 'tomorrow' is not an ISO 8601 time" },
        { ["enqueue", "noop", "--at", "2030-01-01T00:00:00Z", "--in", "5m"], 2, "give one of them" },
        { ["enqueue", "noop", "--max-attempts", "0"], 2, "--max-attempts 0" },
        { ["enqueue", "noop", "--queue", "bad queue!"], 2, "Invalid queue name 'bad queue!'" },
        { ["enqueue", "noop", "--priority", "high"], 2, "high" },
        { ["enqueue"], 2, "Required argument missing" },
        { ["jobs", "show", "999"], 1, "No job 999" },
        { ["jobs", "retry", "999"], 1, "No job 999" },
        { ["jobs", "cancel", "999"], 1, "No job 999" },
        { ["jobs", "show", "abc"], 2, "abc" },
        { ["jobs", "list", "--state", "bogus"], 2, "'bogus' is not a job state" },
        { ["jobs", "list", "--limit", "0"], 2, "--limit 0 is out of range" },
        { ["frobnicate"], 2, "frobnicate" },
        { ["run", "--concurrency", "0"], 2, "--concurrency 0" },
        { ["run", "--queues", "default=0"], 2, "--queues 'default=0' is not a queue list" },
        { ["run", "--queues", "a=1,a=2"], 2, "names queue 'a' twice" },
        { ["run", "--config", "no-such-file.json"], 2, "--config no-such-file.json does not exist" },
        { ["enqueue", "noop", "--config", "no-such-file.json"], 2, "--config no-such-file.json does not exist" },
        { ["jobs", "list", "--config", "no-such-file.json"], 2, "--config no-such-file.json does not exist" },
        { ["resources", "--config", "no-such-file.json"], 2, "--config no-such-file.json does not exist" },
        { ["--config", "no-such-file.json", "queues"], 2, "--config no-such-file.json does not exist" },
        { ["resources", "pause", "hooks"], 2, "Unknown resource 'hooks'; configured: sheets, youtube." },
        { ["resources", "frobnicate"], 2, "frobnicate" },
        { ["queues", "pause", "bad queue!"], 2, "Invalid queue name 'bad queue!'" },
        { ["queues", "resume"], 2, "Required argument missing" },
        { ["demo", "--channels", "0"], 2, "--channels 0 is out of range" },
        { ["demo", "--db", "other.db"], 2, "demo keeps its own database" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_PrintsOneLineAndExitsNonZero_AndLeavesTheDatabaseUnchanged(string[] args, int exitCode, string expected)
    {
        await SeedAsync();
        var before = await _cli.SnapshotAsync();

        var result = await _cli.RunAsync(args);

        AssertOneLineError(result, exitCode, expected);
        Assert.Equal(before, await _cli.SnapshotAsync());
    }

    [Theory]
    [InlineData("{ not json", "is not valid JSON")]
    [InlineData("""{"Pacer":{"Concurrency":0}}""", "invalid configuration: Pacer:Concurrency: The field Concurrency must be between 1 and 10000.")]
    [InlineData("""{"Pacer":{"Resources":{"hooks":{"Rate":"50/x"}}}}""", "invalid configuration: Pacer:Resources:hooks:Rate '50/x' has '50/x', whose period is not one of ms, s, min, h, d")]
    [InlineData("""{"Pacer":{"Resources":{"hooks":{"Rate":"5/s","Burst":"five"}}}}""", "'Pacer:Resources:hooks:Burst'")]
    [InlineData("""{"Pacer":{"Resources":{"yt":{"Quota":"100/day@Mars/Olympus"}}}}""", "Pacer:Resources:yt:Quota '100/day@Mars/Olympus' names time zone 'Mars/Olympus'")]
    [InlineData("""{"Pacer":{"Resources":{"account:{AccountId}":{"Concurrency":1}}}}""", "use another separator, e.g. 'account-{AccountId}'")]
    [InlineData("""{"Pacer":{"Concurrency":"lots"}}""", "Pacer:Concurrency")]
    [InlineData("""{"Pacer":{"LeaseDuration":"00:00:00.5"}}""", "LeaseDuration")]
    public async Task Run_BadConfigFile_PrintsOneLineAndExits2(string json, string expected)
    {
        await SeedAsync();
        var before = await _cli.SnapshotAsync();
        var config = Path.Combine(_cli.Folder, "pacer.json");
        await File.WriteAllTextAsync(config, json);

        var result = await _cli.RunAsync("run", "--drain", "--config", config);

        AssertOneLineError(result, 2, expected);
        Assert.DoesNotContain("DataAnnotation", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, await _cli.SnapshotAsync());
    }

    private const string ResourceConfig = """
        {"Pacer":{"Resources":{"hooks":{"Rate":"50/s","Hosts":["127.0.0.1:9"]},"account-{AccountId}":{"Concurrency":1}}}}
        """;

    public static TheoryData<string[], string> BadResourceCases => new()
    {
        { ["resources", "pause", "nope"], "Unknown resource 'nope'; configured: account-{AccountId}, hooks, sheets, youtube." },
        { ["resources", "resume", "nope"], "Unknown resource 'nope'; configured: account-{AccountId}, hooks, sheets, youtube." },
        { ["resources", "pause", "account-{AccountId}"], "'account-{AccountId}' is a template; name one of its partitions, such as account-42." },
        { ["resources", "resume", "account-{AccountId}"], "'account-{AccountId}' is a template" },
        { ["resources", "pause", "hooks", "--for", "5x"], "--for '5x' is not a duration; use a number and a unit, e.g. 30s, 5min, 2h" },
        { ["resources", "pause", "hooks", "--for", "0s"], "--for '0s' is no time at all" },
        { ["resources", "pause", "hooks", "--reason", new string('x', 201)], "--reason is 201 characters long; keep it to 200." },
    };

    [Theory]
    [MemberData(nameof(BadResourceCases))]
    public async Task BadResourceInput_PrintsOneLineAndExits2_AndChangesNoResource(string[] args, string expected)
    {
        await SeedAsync();
        var config = await _cli.ConfigAsync(ResourceConfig);
        var before = await _cli.SnapshotAsync();

        var result = await _cli.RunAsync([.. args, "--config", config]);

        AssertOneLineError(result, 2, expected);
        Assert.Equal(before, await _cli.SnapshotAsync());
    }

    [Theory]
    [InlineData("enqueue", "noop")]
    [InlineData("enqueue", "http", "--args", """{"url":"http://127.0.0.1:9/x"}""")]
    [InlineData("jobs", "list")]
    [InlineData("jobs", "show", "1")]
    [InlineData("jobs", "cancel", "1")]
    [InlineData("jobs", "retry", "1")]
    [InlineData("status")]
    [InlineData("resources")]
    [InlineData("resources", "pause", "hooks")]
    [InlineData("resources", "resume", "hooks")]
    [InlineData("queues")]
    [InlineData("queues", "pause", "default")]
    [InlineData("migrate")]
    [InlineData("run", "--drain")]
    public async Task InvalidResourceConfig_EveryCommand_PrintsOneLineNamingTheKey_AndChangesNothing(params string[] args)
    {
        await SeedAsync();
        var config = await _cli.ConfigAsync("""{"Pacer":{"Resources":{"hooks":{"Rate":"50/x","Hosts":["127.0.0.1:9"]}}}}""");
        var before = await _cli.SnapshotAsync();

        var result = await _cli.RunAsync([.. args, "--config", config]);

        AssertOneLineError(result, 2, "invalid configuration: Pacer:Resources:hooks:Rate '50/x' has '50/x', whose period is not one of ms, s, min, h, d; write N/unit such as 50/s");
        Assert.EndsWith("Fix the value in --config, the environment or the flag.", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Equal(before, await _cli.SnapshotAsync());
    }

    [Fact]
    public async Task Demo_InvalidConfig_KeepsThePreviousDemoDatabase()
    {
        var folder = Path.Combine(_cli.Folder, "demo");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "demo.db"), "");
        var config = await _cli.ConfigAsync("""{"Pacer":{"Resources":{"hooks":{"Rate":"50/x"}}}}""");

        var result = await _cli.RunAsync("demo", "--dir", folder, "--config", config);

        AssertOneLineError(result, 2, "Pacer:Resources:hooks:Rate '50/x'");
        Assert.True(File.Exists(Path.Combine(folder, "demo.db")));
    }

    [Theory]
    [InlineData("enqueue", "noop")]
    [InlineData("jobs", "list")]
    [InlineData("jobs", "show", "1")]
    [InlineData("status")]
    [InlineData("migrate")]
    [InlineData("run", "--drain")]
    public async Task NotADatabase_PrintsOneLineAndExits1_AndLeavesTheFileAlone(params string[] args)
    {
        var path = Path.Combine(_cli.Folder, "notes.txt");
        await File.WriteAllTextAsync(path, "these are my notes, not a database\n");

        var result = await _cli.RunAsync([.. args, "--db", path]);

        AssertOneLineError(result, 1, "is not a SQLite database");
        Assert.Equal("these are my notes, not a database\n", await File.ReadAllTextAsync(path));
        Assert.Equal(["notes.txt"], Directory.GetFiles(_cli.Folder).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("enqueue", "noop")]
    [InlineData("jobs", "list")]
    [InlineData("jobs", "cancel", "1")]
    [InlineData("status")]
    public async Task MissingDatabase_PrintsOneLineAndExits1_AndCreatesNothing(params string[] args)
    {
        var result = await _cli.RunAsync(args);

        AssertOneLineError(result, 1, "No database at");
        Assert.Empty(Directory.GetFileSystemEntries(_cli.Folder));
    }

    [Fact]
    public async Task DatabaseWithoutSchema_SaysToMigrate()
    {
        await File.WriteAllBytesAsync(_cli.Database, []);

        var result = await _cli.RunAsync("jobs", "list");

        AssertOneLineError(result, 1, $"has no Pacer schema yet. Create it with 'pacer migrate --db {_cli.Database}'");
    }

    [Fact]
    public async Task UnexpectedError_PrintsTypeAndMessage_AndTheStackOnlyWithVerbose()
    {
        await _cli.OkAsync("migrate");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_cli.Database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO pacer_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0);";
            await command.ExecuteNonQueryAsync();
        }

        var quiet = await _cli.RunAsync("migrate");
        var verbose = await _cli.RunAsync("migrate", "--verbose");

        AssertOneLineError(quiet, 1, "error: System.InvalidOperationException: ");
        Assert.Contains("schema version 999", quiet.Error, StringComparison.Ordinal);
        Assert.EndsWith("(run with --verbose for the stack trace)", quiet.ErrorLines[0], StringComparison.Ordinal);
        Assert.Equal(1, verbose.ExitCode);
        Assert.Contains("   at ", verbose.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatabasePathIsADirectory_PrintsOneLineAndExits1()
    {
        var result = await _cli.RunAsync("jobs", "list", "--db", _cli.Folder);

        AssertOneLineError(result, 1, "is a directory");
    }

    [Fact]
    public async Task EnqueueOnANewDatabase_WithBadArgs_DoesNotCreateIt()
    {
        var result = await _cli.RunAsync("enqueue", "htp");

        Assert.Equal(1, result.ExitCode);
        Assert.False(File.Exists(_cli.Database));
    }

    private async Task SeedAsync()
    {
        await _cli.OkAsync("migrate");
        await _cli.EnqueueAsync("noop");
        await _cli.EnqueueAsync("sleep", "--args", """{"milliseconds":5}""", "--in", "1h", "--unique-key", "seed");
    }

    private static void AssertOneLineError(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Equal("", result.Out);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
    }
}
