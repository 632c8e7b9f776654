using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Pacer.Emulators.Tests.Telegram;

public sealed class TelegramTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private static Task<Reply> SendAsync(HttpClient http, long chatId, string text) =>
        http.SendJsonAsync(HttpMethod.Post, "sendMessage", $$"""{"chat_id":{{chatId}},"text":"{{text}}"}""");

    private static string Description(Reply reply) => reply.Json.GetProperty("description").GetString()!;

    [Fact]
    public async Task GetMe_AnswersWithTheBot_AndAWrongTokenIs401()
    {
        await using var emulator = await TelegramEmulator.StartAsync();
        using var http = Http.Client(emulator.BotAddress);
        using var wrong = Http.Client(new Uri(emulator.BaseAddress, "./bot1:wrong/"));

        var me = await http.FetchAsync("getMe");
        var refused = await wrong.FetchAsync("getMe");

        Assert.True(me.Json.GetProperty("ok").GetBoolean());
        Assert.Equal(123456789, me.Json.GetProperty("result").GetProperty("id").GetInt64());
        Assert.True(me.Json.GetProperty("result").GetProperty("is_bot").GetBoolean());
        Assert.Equal("pacer_emulator_bot", me.Json.GetProperty("result").GetProperty("username").GetString());
        Assert.Equal("""{"ok":false,"error_code":401,"description":"Unauthorized"}""", refused.Body);
        Assert.Equal(401, refused.Code);
    }

    [Fact]
    public async Task SendMessage_ReachesOnlyUsersWhoOptedIn_WithTheDocumentedRefusals()
    {
        await using var emulator = await TelegramEmulator.StartAsync();
        using var http = Http.Client(emulator.BotAddress);
        emulator.AddUser(20);
        emulator.AddUser(30);
        emulator.SimulateStart(30);
        emulator.AddUser(40);
        emulator.SimulateStart(40);
        emulator.BlockBot(40);
        emulator.SimulateStart(50);
        emulator.DeactivateUser(50);

        var unknown = await SendAsync(http, 10, "hello");
        var neverWrote = await SendAsync(http, 20, "hello");
        var optedIn = await SendAsync(http, 30, "hello");
        var blocked = await SendAsync(http, 40, "hello");
        var deactivated = await SendAsync(http, 50, "hello");

        Assert.Equal((400, "Bad Request: chat not found"), (unknown.Code, Description(unknown)));
        Assert.Equal(400, unknown.Json.GetProperty("error_code").GetInt32());
        Assert.False(unknown.Json.GetProperty("ok").GetBoolean());
        Assert.Equal((403, "Forbidden: bot can't initiate conversation with a user"), (neverWrote.Code, Description(neverWrote)));
        Assert.Equal((403, "Forbidden: bot was blocked by the user"), (blocked.Code, Description(blocked)));
        Assert.Equal((403, "Forbidden: user is deactivated"), (deactivated.Code, Description(deactivated)));
        Assert.True(optedIn.Code == 200, optedIn.ToString());
        var message = optedIn.Json.GetProperty("result");
        Assert.Equal((30, "hello", "private"), (message.GetProperty("chat").GetProperty("id").GetInt64(), message.GetProperty("text").GetString(),
            message.GetProperty("chat").GetProperty("type").GetString()));
        Assert.Equal(2, message.GetProperty("message_id").GetInt64());
        var sent = Assert.Single(emulator.SentMessages);
        Assert.Equal((30L, "hello"), (sent.ChatId, sent.Text));
        Assert.Equal((1, 4), (emulator.Counters.MessagesSent, emulator.Counters.Refused));
    }

    [Fact]
    public async Task SendMessage_TextMustBeOneTo4096Characters()
    {
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { PerChatBurst = 10 });
        using var http = Http.Client(emulator.BotAddress);
        emulator.SimulateStart(7);

        var empty = await SendAsync(http, 7, "");
        var longest = await SendAsync(http, 7, new string('x', 4096));
        var tooLong = await SendAsync(http, 7, new string('x', 4097));
        var noChat = await http.SendJsonAsync(HttpMethod.Post, "sendMessage", """{"text":"hi"}""");

        Assert.Equal((400, "Bad Request: message text is empty"), (empty.Code, Description(empty)));
        Assert.Equal(200, longest.Code);
        Assert.Equal((400, "Bad Request: message is too long"), (tooLong.Code, Description(tooLong)));
        Assert.Equal((400, "Bad Request: chat_id is empty"), (noChat.Code, Description(noChat)));
    }

    [Fact]
    public async Task Parameters_ComeFromQueryFormOrJson()
    {
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { PerChatBurst = 3 });
        using var http = Http.Client(emulator.BotAddress);
        emulator.SimulateStart(-100);

        var query = await http.FetchAsync("sendMessage?chat_id=-100&text=by%20query");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["chat_id"] = "-100", ["text"] = "by form", ["parse_mode"] = "HTML" });
        using var response = await http.PostAsync("sendMessage", form);
        var json = await http.SendJsonAsync(HttpMethod.Post, "SENDMESSAGE", """{"chat_id":"-100","text":"by json"}""");

        Assert.Equal(200, query.Code);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(200, json.Code);
        Assert.Equal(["by query", "by form", "by json"], emulator.SentMessages.Select(m => m.Text));
        Assert.Equal("HTML", emulator.SentMessages[1].ParseMode);
    }

    [Fact]
    public async Task PerChatLimit_Is429WithRetryAfter_ThenOkOnceItPassed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { TimeProvider = time });
        using var http = Http.Client(emulator.BotAddress);
        emulator.SimulateStart(1);
        emulator.SimulateStart(2);

        var first = await SendAsync(http, 1, "one");
        var second = await SendAsync(http, 1, "two");
        var otherChat = await SendAsync(http, 2, "other");
        time.Advance(TimeSpan.FromMilliseconds(999));
        var stillEarly = await SendAsync(http, 1, "two");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var afterWaiting = await SendAsync(http, 1, "two");

        Assert.Equal(200, first.Code);
        Assert.Equal("""{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}""", second.Body);
        Assert.Equal(429, second.Code);
        Assert.Equal(200, otherChat.Code);
        Assert.Equal(429, stillEarly.Code);
        Assert.Equal(200, afterWaiting.Code);
        Assert.Equal(2, emulator.Counters.RateLimited);
    }

    [Fact]
    public async Task RetryAfter_IsTheWholeSecondsUntilTheNextMessageMayGo()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { TimeProvider = time, PerChatMessagesPerSecond = 0.125 });
        using var http = Http.Client(emulator.BotAddress);
        emulator.SimulateStart(1);
        await SendAsync(http, 1, "one");
        time.Advance(TimeSpan.FromSeconds(0.5));

        var refused = await SendAsync(http, 1, "two");

        Assert.Equal("Too Many Requests: retry after 8", Description(refused));
        Assert.Equal(8, refused.Json.GetProperty("parameters").GetProperty("retry_after").GetInt32());
    }

    [Fact]
    public async Task GlobalLimit_AllowsThirtyAtOnceAcrossChats()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var options = new TelegramEmulatorOptions { TimeProvider = time };
        for (var chat = 1; chat <= 31; chat++)
            options.StartedChatIds.Add(chat);
        await using var emulator = await TelegramEmulator.StartAsync(options);
        using var http = Http.Client(emulator.BotAddress);

        var codes = new List<int>();
        for (var chat = 1; chat <= 31; chat++)
            codes.Add((await SendAsync(http, chat, "news")).Code);
        time.Advance(TimeSpan.FromSeconds(1.0 / 30));
        var later = await SendAsync(http, 31, "news");

        Assert.Equal(Enumerable.Repeat(200, 30).Append(429), codes);
        Assert.Equal(200, later.Code);
    }

    [Fact]
    public async Task GetUpdates_DeliversStart_AndAnOffsetConfirmsIt()
    {
        await using var emulator = await TelegramEmulator.StartAsync();
        using var http = Http.Client(emulator.BotAddress);
        var updateId = emulator.SimulateStart(42, "Ada");
        emulator.SimulateMessage(42, "hello bot");

        var both = await http.FetchAsync("getUpdates");
        var again = await http.FetchAsync("getUpdates");
        var confirmed = await http.FetchAsync($"getUpdates?offset={updateId + 1}");
        var empty = await http.FetchAsync($"getUpdates?offset={updateId + 2}");

        var updates = both.Json.GetProperty("result");
        Assert.Equal(2, updates.GetArrayLength());
        Assert.Equal(updateId, updates[0].GetProperty("update_id").GetInt64());
        var message = updates[0].GetProperty("message");
        Assert.Equal(("/start", 42, "Ada", false), (message.GetProperty("text").GetString(), message.GetProperty("chat").GetProperty("id").GetInt64(),
            message.GetProperty("from").GetProperty("first_name").GetString(), message.GetProperty("from").GetProperty("is_bot").GetBoolean()));
        Assert.Equal("bot_command", message.GetProperty("entities")[0].GetProperty("type").GetString());
        Assert.Equal(2, again.Json.GetProperty("result").GetArrayLength());
        Assert.Equal("hello bot", Assert.Single(confirmed.Json.GetProperty("result").EnumerateArray()).GetProperty("message").GetProperty("text").GetString());
        Assert.Equal(0, empty.Json.GetProperty("result").GetArrayLength());
    }

    [Fact]
    public async Task GetUpdates_LongPoll_AnswersAsSoonAsAUserWrites()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { TimeProvider = time });
        using var http = Http.Client(emulator.BotAddress);

        var poll = http.FetchAsync("getUpdates?timeout=50");
        emulator.SimulateStart(9);
        var reply = await poll.WaitAsync(Guard);

        Assert.Equal(9, Assert.Single(reply.Json.GetProperty("result").EnumerateArray()).GetProperty("message").GetProperty("chat").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task GetUpdates_LongPoll_WithNothingToSay_AnswersEmptyAfterItsTimeout()
    {
        await using var emulator = await TelegramEmulator.StartAsync();
        using var http = Http.Client(emulator.BotAddress);

        var clock = Stopwatch.StartNew();
        var reply = await http.FetchAsync("getUpdates?timeout=1").WaitAsync(Guard);

        Assert.Equal(0, reply.Json.GetProperty("result").GetArrayLength());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task GetUpdates_TwoPollers_TheOlderGets409Conflict()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { TimeProvider = time });
        using var first = Http.Client(emulator.BotAddress);
        using var second = Http.Client(emulator.BotAddress);

        var a = first.FetchAsync("getUpdates?timeout=50");
        var b = second.FetchAsync("getUpdates?timeout=50");
        var loser = await Task.WhenAny(a, b).WaitAsync(Guard);
        emulator.SimulateStart(3);
        var replies = await Task.WhenAll(a, b).WaitAsync(Guard);

        Assert.Equal(409, (await loser).Code);
        Assert.Equal("Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", Description(await loser));
        Assert.Equal([200, 409], replies.Select(r => r.Code).Order());
    }

    [Fact]
    public async Task WaitForSentMessages_CompletesWhenTheyAreSent_AndAdminEndpointsDriveChats()
    {
        await using var emulator = await TelegramEmulator.StartAsync();
        using var admin = Http.Client(emulator.BaseAddress);
        using var http = Http.Client(emulator.BotAddress);
        var waiting = emulator.WaitForSentMessagesAsync(1, CancellationToken.None);

        var start = await admin.SendJsonAsync(HttpMethod.Post, "_emulator/chats/77/start?firstName=Grace", null);
        Assert.False(waiting.IsCompleted);
        await SendAsync(http, 77, "welcome");
        await waiting.WaitAsync(Guard);
        await admin.SendJsonAsync(HttpMethod.Post, "_emulator/chats/77/block", null);
        var blocked = await SendAsync(http, 77, "again");
        var messages = await admin.FetchAsync("_emulator/messages");

        Assert.Equal(200, start.Code);
        Assert.Equal(403, blocked.Code);
        Assert.Equal("welcome", messages.Json[0].GetProperty("text").GetString());
        Assert.Equal(77, messages.Json[0].GetProperty("chatId").GetInt64());
    }
}
