namespace Pacer.Emulators.Telegram;

internal enum ChatState
{
    /// <summary>Known to Telegram, but never wrote to the bot: the bot cannot start the conversation.</summary>
    NeverWrote,
    Started,
    Blocked,
    Deactivated,
}

internal sealed class Chat(long id, string firstName, string? username)
{
    public long Id { get; } = id;

    public string FirstName { get; } = firstName;

    public string? Username { get; } = username;

    public ChatState State { get; set; }

    public long LastMessageId { get; set; }

    public TokenBucket Bucket { get; set; }
}

/// <summary>A token bucket on the emulator's clock; the refusal says when the next token comes.</summary>
internal struct TokenBucket
{
    private const double Tolerance = 1e-6;
    private readonly double _capacity;
    private readonly double _perSecond;
    private double _tokens;
    private DateTimeOffset _at;

    public TokenBucket(double capacity, double perSecond, DateTimeOffset now)
    {
        _capacity = capacity;
        _perSecond = perSecond;
        _tokens = capacity;
        _at = now;
    }

    public bool TryTake(DateTimeOffset now, out TimeSpan retryAfter)
    {
        _tokens = Math.Min(_capacity, _tokens + Math.Max(0, (now - _at).TotalSeconds) * _perSecond);
        _at = now;
        // The clock counts in 100 ns ticks: a sender that waited exactly 1/rate must not miss by a rounding error.
        if (_tokens >= 1 - Tolerance)
        {
            _tokens = Math.Max(0, _tokens - 1);
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds((1 - _tokens) / _perSecond);
        return false;
    }
}

/// <summary>The outcome of a send: the message, or the error code, description and (for 429) retry_after.</summary>
internal readonly record struct SendOutcome(TelegramMessage? Message, int ErrorCode, string? Description, int RetryAfter);

/// <summary>
/// Chats, the update queue and what was sent, under one lock (Telegram's rules are about ordering, and the numbers are
/// small). Waiters (long polls, tests waiting for messages) are woken by replacing a completion source.
/// </summary>
internal sealed class TelegramState
{
    public const int MaxTextLength = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Chat> _chats = [];
    private readonly List<TelegramUpdate> _updates = [];
    private readonly List<TelegramSentMessage> _sent = [];
    private readonly TimeProvider _time;
    private readonly TelegramEmulatorOptions _options;
    private readonly BotUser _bot;
    private TokenBucket _global;
    private TaskCompletionSource _updateArrived = NewSignal();
    private TaskCompletionSource _messageSent = NewSignal();
    private CancellationTokenSource? _poller;
    private long _nextUpdateId;

    public TelegramState(TelegramEmulatorOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _global = new TokenBucket(options.GlobalBurst, options.GlobalMessagesPerSecond, _time.GetUtcNow());
        var botId = long.Parse(options.BotToken.AsSpan(0, options.BotToken.IndexOf(':', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        _bot = new BotUser(botId, true, "Pacer Emulator", options.BotUsername, true, false, false);
        // Update ids start somewhere that depends on the seed, as a real bot's do not start at 1.
        _nextUpdateId = 100_000_000 + (long)(SeededRandomStart(options.Seed) % 800_000_000);
        foreach (var chatId in options.StartedChatIds)
            Known(chatId, null, null).State = ChatState.Started;
    }

    public BotUser Bot => _bot;

    /// <summary>A user the bot can see but who never wrote to it (a send gets 403).</summary>
    public void AddUser(long chatId, string? firstName, string? username)
    {
        lock (_gate)
            Known(chatId, firstName, username);
    }

    /// <summary>The user writes to the bot: the chat is open for the bot from now on, and an update is queued.</summary>
    public long UserWrites(long chatId, string text, string? firstName, string? username)
    {
        lock (_gate)
        {
            var chat = Known(chatId, firstName, username);
            chat.State = ChatState.Started;
            chat.LastMessageId++;
            var entities = text.StartsWith('/')
                ? new[] { new MessageEntity(0, text.IndexOf(' ', StringComparison.Ordinal) is var space and > 0 ? space : text.Length, "bot_command") }
                : null;
            var update = new TelegramUpdate(_nextUpdateId++, new TelegramMessage(chat.LastMessageId,
                new TelegramUser(chat.Id, false, chat.FirstName, chat.Username, "en"), Resource(chat), UnixNow(), text, entities));
            _updates.Add(update);
            Wake(ref _updateArrived);
            return update.UpdateId;
        }
    }

    public void SetState(long chatId, ChatState state)
    {
        lock (_gate)
            Known(chatId, null, null).State = state;
    }

    public SendOutcome Send(string? chatIdText, string? text, string? parseMode)
    {
        lock (_gate)
        {
            if (string.IsNullOrEmpty(chatIdText))
                return Refuse(400, "Bad Request: chat_id is empty");
            if (string.IsNullOrEmpty(text))
                return Refuse(400, "Bad Request: message text is empty");
            if (text.Length > MaxTextLength)
                return Refuse(400, "Bad Request: message is too long");
            if (!long.TryParse(chatIdText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var chatId)
                || !_chats.TryGetValue(chatId, out var chat))
                return Refuse(400, "Bad Request: chat not found");
            switch (chat.State)
            {
                case ChatState.NeverWrote:
                    return Refuse(403, "Forbidden: bot can't initiate conversation with a user");
                case ChatState.Blocked:
                    return Refuse(403, "Forbidden: bot was blocked by the user");
                case ChatState.Deactivated:
                    return Refuse(403, "Forbidden: user is deactivated");
            }

            var now = _time.GetUtcNow();
            // Both limits are checked before either is charged, so a refusal costs the chat nothing.
            var chatBucket = chat.Bucket;
            var global = _global;
            if (!chatBucket.TryTake(now, out var chatWait))
                return RateLimited(chatWait);
            if (!global.TryTake(now, out var globalWait))
                return RateLimited(globalWait);
            chat.Bucket = chatBucket;
            _global = global;

            chat.LastMessageId++;
            var message = new TelegramMessage(chat.LastMessageId, new TelegramUser(_bot.Id, true, _bot.FirstName, _bot.Username), Resource(chat), UnixNow(), text, null);
            _sent.Add(new TelegramSentMessage(chat.Id, message.MessageId, text, parseMode, now));
            Wake(ref _messageSent);
            return new SendOutcome(message, 0, null, 0);
        }
    }

    /// <summary>
    /// Updates from <paramref name="offset"/> on (confirming everything before it); with none, waits up to the
    /// timeout for one. A newer poll ends an older one with 409, as the real service does.
    /// </summary>
    public async Task<(IReadOnlyList<TelegramUpdate>? Updates, bool Conflict)> PollAsync(long offset, int limit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var mine = new CancellationTokenSource();
        CancellationTokenSource? older;
        lock (_gate)
        {
            older = _poller;
            _poller = mine;
        }
        // Outside the lock: cancelling runs the older poll's continuation.
        older?.Cancel();
        var deadline = _time.GetUtcNow() + timeout;
        try
        {
            while (true)
            {
                Task arrived;
                lock (_gate)
                {
                    if (mine.IsCancellationRequested)
                        return (null, true);
                    if (offset > 0)
                        _updates.RemoveAll(u => u.UpdateId < offset);
                    // A negative offset asks for the last -offset updates.
                    var from = offset < 0 ? _updates.Count - (int)Math.Min(-offset, _updates.Count) : 0;
                    var updates = _updates.Skip(from).Take(limit).ToList();
                    if (updates.Count > 0 || _time.GetUtcNow() >= deadline)
                        return (updates, false);
                    arrived = _updateArrived.Task;
                }
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, mine.Token);
                try
                {
                    await arrived.WaitAsync(Max(deadline - _time.GetUtcNow(), TimeSpan.Zero), _time, stop.Token);
                }
                catch (TimeoutException)
                {
                    // The long poll ran out: the next pass answers with no updates.
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // A newer poll took over: the next pass answers 409.
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_poller == mine)
                    _poller = null;
            }
            // Not disposed: a newer poll may still cancel it, and a source without timers or links holds nothing to free.
        }
    }

    public int PendingUpdates
    {
        get
        {
            lock (_gate)
                return _updates.Count;
        }
    }

    public IReadOnlyList<TelegramSentMessage> Sent
    {
        get
        {
            lock (_gate)
                return [.. _sent];
        }
    }

    public async Task WaitForSentAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_sent.Count >= count)
                    return;
                next = _messageSent.Task;
            }
            await next.WaitAsync(cancellationToken);
        }
    }

    private SendOutcome RateLimited(TimeSpan wait) => new(null, 429, null, Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)));

    private static SendOutcome Refuse(int code, string description) => new(null, code, description, 0);

    private Chat Known(long chatId, string? firstName, string? username)
    {
        if (!_chats.TryGetValue(chatId, out var chat))
        {
            chat = new Chat(chatId, firstName ?? "User" + chatId.ToString(System.Globalization.CultureInfo.InvariantCulture), username)
            {
                Bucket = new TokenBucket(_options.PerChatBurst, _options.PerChatMessagesPerSecond, _time.GetUtcNow()),
            };
            _chats[chatId] = chat;
        }
        return chat;
    }

    private long UnixNow() => _time.GetUtcNow().ToUnixTimeSeconds();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TelegramChatResource Resource(Chat chat) => new(chat.Id, chat.FirstName, chat.Username, "private");

    private static void Wake(ref TaskCompletionSource signal)
    {
        var woken = signal;
        signal = NewSignal();
        woken.SetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static ulong SeededRandomStart(long seed) => Hosting.SeededRandom.Hash((ulong)seed, 0x7E1E_0000UL);
}
