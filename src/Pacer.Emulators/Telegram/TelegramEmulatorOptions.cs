using System.ComponentModel.DataAnnotations;

namespace Pacer.Emulators;

/// <summary>Options of <see cref="TelegramEmulator"/>: the bot, the chats that opted in, and the send limits.</summary>
public sealed class TelegramEmulatorOptions : EmulatorOptions, IValidatableObject
{
    /// <summary>The only token answered (others get 401). Its number before the colon is the bot's user id.</summary>
    [Required]
    public string BotToken { get; set; } = "123456789:AAH-pacer-emulator-token-0000000000";

    /// <summary>The bot's username, without <c>@</c>. Default <c>pacer_emulator_bot</c>.</summary>
    [Required]
    public string BotUsername { get; set; } = "pacer_emulator_bot";

    /// <summary>Private chats whose user has sent <c>/start</c> before the emulator starts (their updates are not queued).</summary>
    public IList<long> StartedChatIds { get; } = [];

    /// <summary>Messages per second one chat may receive. Default 1.</summary>
    [Range(0.001, 1000)]
    public double PerChatMessagesPerSecond { get; set; } = 1;

    /// <summary>Messages one chat may receive at once before the per-second rate applies. Default 1 (no burst).</summary>
    [Range(1, 1000)]
    public int PerChatBurst { get; set; } = 1;

    /// <summary>Messages per second across all chats. Default 30.</summary>
    [Range(0.001, 100_000)]
    public double GlobalMessagesPerSecond { get; set; } = 30;

    /// <summary>Messages across all chats at once before the global rate applies. Default 30.</summary>
    [Range(1, 100_000)]
    public int GlobalBurst { get; set; } = 30;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var colon = BotToken.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !long.TryParse(BotToken.AsSpan(0, colon), out _) || colon == BotToken.Length - 1)
            yield return new ValidationResult("BotToken must look like 123456789:secret.", [nameof(BotToken)]);
    }
}
