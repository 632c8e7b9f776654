using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pacer.Cli.Tests;

public sealed partial class EmulateCommandTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);

    /// <summary>Captures output and completes <see cref="Address"/> as soon as the first URL has been written.</summary>
    private sealed partial class AddressWriter : StringWriter
    {
        private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<Uri> Address => _address.Task;

        public override void Write(char value)
        {
            base.Write(value);
            Look();
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            Look();
        }

        public override void Write(string? value)
        {
            base.Write(value);
            Look();
        }

        private void Look()
        {
            if (!_address.Task.IsCompleted && Url().Match(ToString()) is { Success: true } match)
                _address.TrySetResult(new Uri(match.Value));
        }

        [GeneratedRegex(@"http://127\.0\.0\.1:\d+/(?=\s)")]
        private static partial Regex Url();
    }

    private static async Task<(Task<int> Run, AddressWriter Out, StringWriter Error, Uri Address)> StartAsync(CancellationToken stop, params string[] args)
    {
        var output = new AddressWriter();
        var error = new StringWriter();
        var run = PacerCli.RunAsync(args, CliConsole.ForWriters(output, error), CliRun.Quiet, stop);
        var address = await output.Address.WaitAsync(Guard);
        return (run, output, error, address);
    }

    [Fact]
    public async Task Emulate_YouTube_PrintsItsAddress_AnswersTheApi_AndExits0OnCtrlC()
    {
        using var stop = new CancellationTokenSource();
        var (run, output, error, address) = await StartAsync(stop.Token, "emulate", "youtube", "--channels", "3", "--seed", "5");
        using var http = new HttpClient { BaseAddress = address };

        var channels = JsonDocument.Parse(await http.GetStringAsync("_emulator/channels")).RootElement;
        var id = channels[0].GetProperty("id").GetString();
        using var api = await http.GetAsync($"youtube/v3/channels?part=contentDetails&id={id}&key=any");
        await stop.CancelAsync();
        var exit = await run.WaitAsync(Guard);

        Assert.Equal(3, channels.GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("127.0.0.1", address.Host);
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Equal("", error.ToString());
        Assert.Contains("YouTube emulator listening on", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Stopped after 1 requests.", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emulate_YouTube_InjectsTheFaultsAndQuotaItIsGiven()
    {
        using var stop = new CancellationTokenSource();
        var (run, output, _, address) = await StartAsync(stop.Token, "emulate", "youtube", "--channels", "1", "--daily-budget", "4", "--rate-limit-rate", "0.5");
        using var http = new HttpClient { BaseAddress = address };
        var id = JsonDocument.Parse(await http.GetStringAsync("_emulator/channels")).RootElement[0].GetProperty("id").GetString();

        var statuses = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            using var answer = await http.GetAsync($"youtube/v3/channels?part=contentDetails&id={id}&key=any");
            statuses.Add((int)answer.StatusCode);
        }
        await stop.CancelAsync();
        await run.WaitAsync(Guard);

        // About half answered 429 (injected, costing nothing); of the rest, 4 units' worth answered 200, then 403 quotaExceeded.
        Assert.InRange(statuses.Count(s => s == 429), 10, 30);
        Assert.Equal(4, statuses.Count(s => s == 200));
        Assert.Equal(40 - 4 - statuses.Count(s => s == 429), statuses.Count(s => s == 403));
        Assert.Contains("4 units a day", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emulate_Sheets_And_Telegram_StartAndAnswer()
    {
        using var stop = new CancellationTokenSource();
        var sheets = await StartAsync(stop.Token, "emulate", "sheets");
        var telegram = await StartAsync(stop.Token, "emulate", "telegram");
        using var http = new HttpClient();

        using var read = new HttpRequestMessage(HttpMethod.Get, new Uri(sheets.Address, "v4/spreadsheets/demo/values/Sheet1"));
        read.Headers.Authorization = new("Bearer", "demo");
        using var sheet = await http.SendAsync(read);
        using var start = await http.PostAsync(new Uri(telegram.Address, "_emulator/chats/42/start"), new StringContent(""));
        var botLine = telegram.Out.ToString().Split('\n').Single(l => l.Contains("METHOD", StringComparison.Ordinal));
        var bot = new Uri(botLine.Trim()["API:".Length..].Trim().Split(' ')[0].Replace("METHOD", "", StringComparison.Ordinal));
        using var send = await http.PostAsync(new Uri(bot, "sendMessage"), new StringContent("""{"chat_id":42,"text":"hi"}""", Encoding.UTF8, "application/json"));
        await stop.CancelAsync();

        Assert.Equal(HttpStatusCode.OK, sheet.StatusCode);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        var exits = await Task.WhenAll(sheets.Run, telegram.Run).WaitAsync(Guard);
        Assert.Equal([0, 0], exits);
    }

    [Theory]
    [InlineData("--error-rate", "1.5", "--error-rate 1.5 is out of range")]
    [InlineData("--port", "70000", "--port 70000 is out of range")]
    [InlineData("--latency", "-1", "--latency -1 is out of range")]
    [InlineData("--timeout-rate", "-0.1", "--timeout-rate -0.1 is out of range")]
    [InlineData("--daily-budget", "-5", "--daily-budget -5 is out of range")]
    [InlineData("--error-rate", "0.6", "--error-rate, --rate-limit-rate and --timeout-rate add up to 1.1", "--rate-limit-rate", "0.5")]
    public async Task Emulate_BadValue_IsAUsageError(string option, string value, string message, params string[] more)
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync(["emulate", "youtube", option, value, .. more]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emulate_UnknownService_IsAUsageError()
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync("emulate", "twitter");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("twitter", result.Error, StringComparison.Ordinal);
    }
}
