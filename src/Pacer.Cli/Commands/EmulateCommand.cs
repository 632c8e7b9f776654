using System.CommandLine;
using System.Globalization;
using Pacer.Emulators;

namespace Pacer.Cli.Commands;

/// <summary>
/// <c>pacer emulate youtube|sheets|telegram</c>: one emulator on 127.0.0.1 until Ctrl+C, so a real client can be
/// pointed at it by its base URL. Stopping with Ctrl+C is the normal end and exits 0.
/// </summary>
internal static class EmulateCommand
{
    private const int MaxLatencyMilliseconds = 600_000;

    public static Command Create(Func<ParseResult, CliContext> context) =>
        new("emulate", "Run a local YouTube, Sheets or Telegram API emulator until Ctrl+C")
        {
            Kind("youtube", "YouTube", "YouTube Data API v3 over a seeded data set of channels and videos", context, withChannels: true, StartYouTubeAsync),
            Kind("sheets", "Sheets", "Google Sheets API v4 with in-memory spreadsheets", context, withChannels: false, StartSheetsAsync),
            Kind("telegram", "Telegram", "Telegram Bot API with simulated users", context, withChannels: false, StartTelegramAsync),
        };

    /// <summary>What the command line asked for, checked.</summary>
    private sealed record Settings(int Port, long Seed, int Channels, TimeSpan Latency, TimeSpan LatencyJitter, Rates Faults, long? DailyBudget)
    {
        public void Apply(EmulatorOptions options)
        {
            options.Port = Port;
            options.Seed = Seed;
            options.Latency = Latency;
            options.LatencyJitter = LatencyJitter;
            options.Faults.ServerErrorRate = Faults.Error;
            options.Faults.RateLimitRate = Faults.RateLimit;
            options.Faults.TimeoutRate = Faults.Timeout;
            options.Faults.SlowBodyRate = Faults.SlowBody;
        }
    }

    /// <summary>The injected failures' shares, as given.</summary>
    private sealed record Rates(double Error, double RateLimit, double Timeout, double SlowBody);

    /// <summary>A started emulator, its address, and the lines that tell a user how to use it.</summary>
    private sealed record Running(IAsyncDisposable Emulator, Uri BaseAddress, string[] Usage, Func<long> Requests);

    private static Command Kind(string name, string title, string description, Func<ParseResult, CliContext> context, bool withChannels,
        Func<Settings, CancellationToken, Task<Running>> start)
    {
        // New option objects per command: a symbol records its parents.
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0: any free port)", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<long>("--seed") { Description = "Seed of the data and of injected failures", DefaultValueFactory = _ => 1, HelpName = "S" };
        var latency = new Option<int>("--latency") { Description = "Milliseconds added before every answer", DefaultValueFactory = _ => 0, HelpName = "MS" };
        var errorRate = new Option<double>("--error-rate") { Description = "Share of requests answered 500 or 503 (0 to 1)", DefaultValueFactory = _ => 0, HelpName = "R" };
        var jitter = new Option<int>("--latency-jitter") { Description = "Up to this many milliseconds more before every answer, from the seed", DefaultValueFactory = _ => 0, HelpName = "MS" };
        var rateLimitRate = new Option<double>("--rate-limit-rate") { Description = "Share of requests answered 429 with the service's rate-limit body (0 to 1)", DefaultValueFactory = _ => 0, HelpName = "R" };
        var timeoutRate = new Option<double>("--timeout-rate") { Description = "Share of requests never answered, until the client gives up (0 to 1)", DefaultValueFactory = _ => 0, HelpName = "R" };
        var slowBodyRate = new Option<double>("--slow-body-rate") { Description = "Share of answers whose body trickles out over 2 seconds (0 to 1)", DefaultValueFactory = _ => 0, HelpName = "R" };
        var channels = new Option<int>("--channels") { Description = "Channels in the data set (1000: the benchmark preset)", DefaultValueFactory = _ => 32, HelpName = "N" };
        var budget = new Option<long>("--daily-budget") { Description = "Quota units a day, reset at midnight Pacific, as Google grants by default", DefaultValueFactory = _ => 10_000, HelpName = "UNITS" };
        var command = new Command(name, description) { port, seed, latency, jitter, errorRate, rateLimitRate, timeoutRate, slowBodyRate };
        if (withChannels)
        {
            command.Options.Add(channels);
            command.Options.Add(budget);
        }

        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var settings = Check(parse.GetValue(port), parse.GetValue(seed), withChannels ? parse.GetValue(channels) : 0,
                parse.GetValue(latency), parse.GetValue(jitter),
                new Rates(parse.GetValue(errorRate), parse.GetValue(rateLimitRate), parse.GetValue(timeoutRate), parse.GetValue(slowBodyRate)),
                withChannels ? parse.GetValue(budget) : null);
            var running = await start(settings, cancellationToken);
            await using (running.Emulator)
            {
                await cli.Console.Out.WriteLineAsync($"{title} emulator listening on {running.BaseAddress}");
                foreach (var line in running.Usage)
                    await cli.Console.Out.WriteLineAsync("  " + line);
                await cli.Console.Out.WriteLineAsync("Press Ctrl+C to stop.");
                await cli.Console.Out.FlushAsync(cancellationToken);
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C is how an emulator is meant to stop.
                }
                await cli.Console.Out.WriteLineAsync($"Stopped after {Output.Number(running.Requests())} requests.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Settings Check(int port, long seed, int channels, int latencyMilliseconds, int jitterMilliseconds, Rates rates, long? dailyBudget)
    {
        if (port is < 0 or > 65535)
            throw CliException.Usage($"--port {port} is out of range; use 0 (any free port) to 65535.");
        if (channels is < 0 or > 100_000)
            throw CliException.Usage($"--channels {channels} is out of range; use 0 to 100000.");
        if (latencyMilliseconds is < 0 or > MaxLatencyMilliseconds)
            throw CliException.Usage($"--latency {latencyMilliseconds} is out of range; use 0 to {MaxLatencyMilliseconds} milliseconds.");
        if (jitterMilliseconds is < 0 or > MaxLatencyMilliseconds)
            throw CliException.Usage($"--latency-jitter {jitterMilliseconds} is out of range; use 0 to {MaxLatencyMilliseconds} milliseconds.");
        CheckRate("--error-rate", rates.Error);
        CheckRate("--rate-limit-rate", rates.RateLimit);
        CheckRate("--timeout-rate", rates.Timeout);
        CheckRate("--slow-body-rate", rates.SlowBody);
        // One fault per request: a request answered 500 cannot also be answered 429 or hang.
        if (rates.Error + rates.RateLimit + rates.Timeout > 1)
            throw CliException.Usage($"--error-rate, --rate-limit-rate and --timeout-rate add up to {(rates.Error + rates.RateLimit + rates.Timeout).ToString(CultureInfo.InvariantCulture)}; each request gets one of them at most, so they may add up to 1.");
        if (dailyBudget is < 0)
            throw CliException.Usage($"--daily-budget {dailyBudget} is out of range; use 0 or more units.");
        return new Settings(port, seed, channels, TimeSpan.FromMilliseconds(latencyMilliseconds), TimeSpan.FromMilliseconds(jitterMilliseconds), rates, dailyBudget);
    }

    private static void CheckRate(string flag, double rate)
    {
        if (rate is < 0 or > 1 || double.IsNaN(rate))
            throw CliException.Usage($"{flag} {rate.ToString(CultureInfo.InvariantCulture)} is out of range; use 0 to 1, such as 0.05.");
    }

    private static async Task<Running> StartYouTubeAsync(Settings settings, CancellationToken cancellationToken)
    {
        var options = new YouTubeEmulatorOptions { ChannelCount = settings.Channels };
        settings.Apply(options);
        if (settings.DailyBudget is { } budget)
            options.Quota.DailyBudget = budget;
        var emulator = await YouTubeEmulator.StartAsync(options, cancellationToken);
        var root = emulator.BaseAddress;
        var example = emulator.Channels.Count > 0 ? emulator.Channels[0].Id : "UC...";
        return new Running(emulator, root,
        [
            $"API:   {root}youtube/v3/ (any ?key=; {emulator.Channels.Count} channels, seed {settings.Seed}; {Output.Number(options.Quota.DailyBudget)} units a day)",
            $"try:   curl '{root}youtube/v3/channels?part=snippet,contentDetails&id={example}&key=demo'",
            $"OAuth: consent {emulator.AuthorizationEndpoint} (auth_uri), token endpoint {emulator.TokenEndpoint} (token_uri; any refresh token or service account key)",
            $"admin: GET {root}_emulator/channels, POST {root}_emulator/uploads?channelShare=0.05&count=3, GET {root}_emulator/counters, POST {root}_emulator/mine?channelId={example}",
        ], () => emulator.Counters.Requests);
    }

    private static async Task<Running> StartSheetsAsync(Settings settings, CancellationToken cancellationToken)
    {
        var options = new SheetsEmulatorOptions();
        settings.Apply(options);
        var emulator = await SheetsEmulator.StartAsync(options, cancellationToken);
        var root = emulator.BaseAddress;
        return new Running(emulator, root,
        [
            $"API:   {root}v4/spreadsheets/ (any Authorization: Bearer token; spreadsheets are created on first use)",
            $"try:   curl -H 'Authorization: Bearer demo' '{root}v4/spreadsheets/demo/values/Sheet1'",
            $"OAuth: consent {emulator.AuthorizationEndpoint} (auth_uri), token endpoint {emulator.TokenEndpoint} (token_uri; any refresh token or service account key)",
            $"admin: GET {root}_emulator/spreadsheets, GET {root}_emulator/spreadsheets/ID, GET {root}_emulator/counters",
        ], () => emulator.Counters.Requests);
    }

    private static async Task<Running> StartTelegramAsync(Settings settings, CancellationToken cancellationToken)
    {
        var options = new TelegramEmulatorOptions();
        settings.Apply(options);
        var emulator = await TelegramEmulator.StartAsync(options, cancellationToken);
        var root = emulator.BaseAddress;
        return new Running(emulator, root,
        [
            $"API:   {emulator.BotAddress}METHOD (bot token {emulator.BotToken})",
            $"try:   curl -X POST '{root}_emulator/chats/42/start' && curl '{emulator.BotAddress}sendMessage?chat_id=42&text=hi'",
            $"admin: POST {root}_emulator/chats/ID/start|message?text=|block|deactivate|known, GET {root}_emulator/messages, GET {root}_emulator/counters",
        ], () => emulator.Counters.Requests);
    }
}
