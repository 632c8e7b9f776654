namespace Pacer.Emulators;

/// <summary>Method names as the Bot API spells them, used by the counters.</summary>
public static class TelegramMethods
{
    public const string GetMe = "getMe";
    public const string SendMessage = "sendMessage";
    public const string GetUpdates = "getUpdates";
    public const string DeleteWebhook = "deleteWebhook";
    public const string GetWebhookInfo = "getWebhookInfo";
}
