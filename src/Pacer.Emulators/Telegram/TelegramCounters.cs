namespace Pacer.Emulators;

/// <summary>The Telegram emulator's counts: calls per method (<c>sendMessage</c>, ...), messages delivered and its own 429s.</summary>
public sealed class TelegramCounters : EmulatorCounters
{
    private long _sent;
    private long _rateLimited;
    private long _refused;

    internal TelegramCounters()
    {
    }

    /// <summary>Messages accepted by <c>sendMessage</c>.</summary>
    public long MessagesSent => Interlocked.Read(ref _sent);

    /// <summary>Sends refused with 429 by the per-chat or global limit (not injected ones).</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Sends refused with 400 or 403 (unknown chat, never started, blocked, deactivated, bad text).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    internal void CountSent() => Interlocked.Increment(ref _sent);

    internal void CountRateLimited() => Interlocked.Increment(ref _rateLimited);

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    internal override IEnumerable<KeyValuePair<string, object>> Describe() =>
        base.Describe().Concat(
        [
            new("messagesSent", MessagesSent),
            new("rateLimited", RateLimited),
            new("refused", Refused),
        ]);
}
