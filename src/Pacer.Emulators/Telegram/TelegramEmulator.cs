using Pacer.Emulators.Hosting;
using Pacer.Emulators.Telegram;

namespace Pacer.Emulators;

/// <summary>A message the bot sent, as the emulator recorded it.</summary>
public sealed record TelegramSentMessage(long ChatId, long MessageId, string Text, string? ParseMode, DateTimeOffset SentAt);

/// <summary>
/// A local Telegram Bot API (<c>/bot&lt;token&gt;/getMe</c>, <c>sendMessage</c>, <c>getUpdates</c>) with private chats that
/// must opt in with <c>/start</c>, the documented refusals, and per-chat and global send limits answered with 429 and
/// <c>retry_after</c>. Point a client at <see cref="BaseAddress"/> (the bot's URL is <see cref="BotAddress"/>);
/// see docs/emulators.md.
/// </summary>
public sealed class TelegramEmulator : IAsyncDisposable
{
    private readonly TelegramState _state;
    private EmulatorHost _host = null!;

    private TelegramEmulator(TelegramEmulatorOptions options)
    {
        BotToken = options.BotToken;
        Counters = new TelegramCounters();
        _state = new TelegramState(options);
    }

    /// <summary>The emulator's root, such as <c>http://127.0.0.1:41234/</c>: what a client uses instead of <c>https://api.telegram.org/</c>.</summary>
    public Uri BaseAddress => _host.BaseAddress;

    /// <summary>The bot's methods live under this address: <c>{BaseAddress}bot{token}/</c>.</summary>
    // "./" first: a relative "bot123:secret/" would read as a URI with the scheme "bot123".
    public Uri BotAddress => new(BaseAddress, $"./bot{BotToken}/");

    public string BotToken { get; }

    public TelegramCounters Counters { get; }

    /// <summary>Every message the bot sent, in order.</summary>
    public IReadOnlyList<TelegramSentMessage> SentMessages => _state.Sent;

    /// <summary>Validates the options and starts listening on 127.0.0.1.</summary>
    public static async Task<TelegramEmulator> StartAsync(TelegramEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TelegramEmulatorOptions();
        OptionsValidation.ThrowIfInvalid(options, options.Faults);
        var emulator = new TelegramEmulator(options);
        var api = new TelegramApi(options, emulator._state, emulator.Counters) { Emulator = emulator };
        emulator._host = await EmulatorHost.StartAsync(options, api, emulator.Counters, cancellationToken);
        return emulator;
    }

    /// <summary>The user sends <c>/start</c>: the bot may write to the chat from now on, and <c>getUpdates</c> delivers it. Returns the update id.</summary>
    public long SimulateStart(long chatId, string? firstName = null) => _state.UserWrites(chatId, "/start", firstName, username: null);

    /// <summary>The user writes any text to the bot (this opens the chat too). Returns the update id.</summary>
    public long SimulateMessage(long chatId, string text, string? firstName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return _state.UserWrites(chatId, text, firstName, username: null);
    }

    /// <summary>A user the bot knows of but who never wrote to it: sends get 403 "bot can't initiate conversation".</summary>
    public void AddUser(long chatId, string? firstName = null) => _state.AddUser(chatId, firstName, username: null);

    /// <summary>The user blocks the bot: sends get 403 "bot was blocked by the user" until the user writes again.</summary>
    public void BlockBot(long chatId) => _state.SetState(chatId, ChatState.Blocked);

    /// <summary>The user's account is deleted: sends get 403 "user is deactivated".</summary>
    public void DeactivateUser(long chatId) => _state.SetState(chatId, ChatState.Deactivated);

    /// <summary>Completes when at least <paramref name="count"/> messages were sent in total.</summary>
    public Task WaitForSentMessagesAsync(int count, CancellationToken cancellationToken) => _state.WaitForSentAsync(count, cancellationToken);

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
