using Microsoft.Extensions.Time.Testing;
using Pacer.Emulators.Tests.Fixtures;

namespace Pacer.Emulators.Tests.Telegram;

public sealed class TelegramFixtureTests
{
    [Fact]
    public async Task SendMessage_GetUpdates_AndRefusals_HaveTheRealShapes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var emulator = await TelegramEmulator.StartAsync(new TelegramEmulatorOptions { TimeProvider = time, PerChatMessagesPerSecond = 0.125 });
        using var http = Http.Client(emulator.BotAddress);
        emulator.SimulateStart(987654321, "Ada");
        emulator.AddUser(5);

        var updates = await http.FetchAsync("getUpdates");
        var sent = await http.SendJsonAsync(HttpMethod.Post, "sendMessage", """{"chat_id":987654321,"text":"Your sync finished: 12 new videos."}""");
        var limited = await http.SendJsonAsync(HttpMethod.Post, "sendMessage", """{"chat_id":987654321,"text":"again"}""");
        var cannot = await http.SendJsonAsync(HttpMethod.Post, "sendMessage", """{"chat_id":5,"text":"hello"}""");

        Fixture.AssertSameShape("Telegram/getUpdates.json", updates.Json);
        Fixture.AssertSameShape("Telegram/sendMessage.json", sent.Json);
        Fixture.AssertSameJson("Telegram/error.tooManyRequests.json", limited.Body);
        Fixture.AssertSameJson("Telegram/error.cantInitiate.json", cannot.Body);
    }
}
