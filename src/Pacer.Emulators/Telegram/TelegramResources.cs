using System.Text.Json.Serialization;

namespace Pacer.Emulators.Telegram;

// The Bot API's JSON (snake_case), as documented. The emulator's own types: clients must not share them.

internal sealed record OkEnvelope([property: JsonPropertyName("ok")] bool Ok, [property: JsonPropertyName("result")] object Result);

internal sealed record ErrorEnvelope(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("error_code")] int ErrorCode,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("parameters")] ResponseParameters? Parameters);

internal sealed record ResponseParameters([property: JsonPropertyName("retry_after")] int RetryAfter);

internal sealed record TelegramUser(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("is_bot")] bool IsBot,
    [property: JsonPropertyName("first_name")] string FirstName,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("language_code")] string? LanguageCode = null);

internal sealed record BotUser(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("is_bot")] bool IsBot,
    [property: JsonPropertyName("first_name")] string FirstName,
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("can_join_groups")] bool CanJoinGroups,
    [property: JsonPropertyName("can_read_all_group_messages")] bool CanReadAllGroupMessages,
    [property: JsonPropertyName("supports_inline_queries")] bool SupportsInlineQueries);

internal sealed record TelegramChatResource(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("first_name")] string FirstName,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("type")] string Type);

internal sealed record MessageEntity(
    [property: JsonPropertyName("offset")] int Offset,
    [property: JsonPropertyName("length")] int Length,
    [property: JsonPropertyName("type")] string Type);

internal sealed record TelegramMessage(
    [property: JsonPropertyName("message_id")] long MessageId,
    [property: JsonPropertyName("from")] object From,
    [property: JsonPropertyName("chat")] TelegramChatResource Chat,
    [property: JsonPropertyName("date")] long Date,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("entities")] IReadOnlyList<MessageEntity>? Entities);

internal sealed record TelegramUpdate(
    [property: JsonPropertyName("update_id")] long UpdateId,
    [property: JsonPropertyName("message")] TelegramMessage Message);

internal sealed record WebhookInfo(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("has_custom_certificate")] bool HasCustomCertificate,
    [property: JsonPropertyName("pending_update_count")] int PendingUpdateCount);
