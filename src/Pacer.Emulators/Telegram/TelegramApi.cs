using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.Telegram;

/// <summary>
/// <c>/bot&lt;token&gt;/METHOD</c>: getMe, sendMessage, getUpdates, deleteWebhook, getWebhookInfo. Parameters come from the
/// query string, a form or a JSON body, as the Bot API accepts all three; method names ignore case, as there.
/// </summary>
internal sealed class TelegramApi(TelegramEmulatorOptions options, TelegramState state, TelegramCounters counters) : IEmulatorApi
{
    private const int MaxLimit = 100;
    private readonly string _token = options.BotToken;

    public required TelegramEmulator Emulator { get; init; }

    public async Task HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length != 2 || !segments[0].StartsWith("bot", StringComparison.Ordinal))
        {
            await FailAsync(context, 404, "Not Found", cancellationToken);
            return;
        }
        if (!string.Equals(segments[0][3..], _token, StringComparison.Ordinal))
        {
            await FailAsync(context, 401, "Unauthorized", cancellationToken);
            return;
        }
        var method = segments[1].ToLowerInvariant();
        var parameters = await ReadParametersAsync(context.Request, cancellationToken);
        switch (method)
        {
            case "getme":
                counters.CountCall(TelegramMethods.GetMe);
                await OkAsync(context, state.Bot, cancellationToken);
                return;
            case "sendmessage":
                counters.CountCall(TelegramMethods.SendMessage);
                await SendMessageAsync(context, parameters, cancellationToken);
                return;
            case "getupdates":
                counters.CountCall(TelegramMethods.GetUpdates);
                await GetUpdatesAsync(context, parameters, cancellationToken);
                return;
            case "deletewebhook":
                counters.CountCall(TelegramMethods.DeleteWebhook);
                await OkAsync(context, true, cancellationToken);
                return;
            case "getwebhookinfo":
                counters.CountCall(TelegramMethods.GetWebhookInfo);
                await OkAsync(context, new WebhookInfo("", false, state.PendingUpdates), cancellationToken);
                return;
            default:
                await FailAsync(context, 404, "Not Found", cancellationToken);
                return;
        }
    }

    public Task WriteInjectedFailureAsync(HttpContext context, int statusCode, CancellationToken cancellationToken) => statusCode switch
    {
        429 => FailAsync(context, 429, "Too Many Requests: retry after 1", cancellationToken, retryAfter: 1),
        503 => FailAsync(context, 503, "Service Unavailable", cancellationToken),
        _ => FailAsync(context, statusCode, "Internal Server Error", cancellationToken),
    };

    public Task HandleAdminAsync(HttpContext context, PathString path, CancellationToken cancellationToken)
    {
        if (AdminEndpoint.Is(context, "GET", path, "/counters"))
            return AdminEndpoint.OkAsync(context, AdminEndpoint.Counters(counters), cancellationToken);
        if (AdminEndpoint.Is(context, "GET", path, "/messages"))
            return AdminEndpoint.OkAsync(context, Emulator.SentMessages, cancellationToken);
        var parts = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (HttpMethods.IsPost(context.Request.Method) && parts is ["chats", var idText, var action]
            && long.TryParse(idText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chatId))
        {
            var name = AdminEndpoint.Text(context, "firstName");
            switch (action)
            {
                case "start":
                    return AdminEndpoint.OkAsync(context, new { updateId = Emulator.SimulateStart(chatId, name) }, cancellationToken);
                case "message":
                    return AdminEndpoint.Text(context, "text") is { } text
                        ? AdminEndpoint.OkAsync(context, new { updateId = Emulator.SimulateMessage(chatId, text, name) }, cancellationToken)
                        : AdminEndpoint.BadRequestAsync(context, "Give text=...", cancellationToken);
                case "known":
                    Emulator.AddUser(chatId, name);
                    return AdminEndpoint.OkAsync(context, new { chatId }, cancellationToken);
                case "block":
                    Emulator.BlockBot(chatId);
                    return AdminEndpoint.OkAsync(context, new { chatId }, cancellationToken);
                case "deactivate":
                    Emulator.DeactivateUser(chatId);
                    return AdminEndpoint.OkAsync(context, new { chatId }, cancellationToken);
            }
        }
        return AdminEndpoint.NotFoundAsync(context, cancellationToken);
    }

    private async Task SendMessageAsync(HttpContext context, Dictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var outcome = state.Send(parameters.GetValueOrDefault("chat_id"), parameters.GetValueOrDefault("text"), parameters.GetValueOrDefault("parse_mode"));
        if (outcome.Message is { } message)
        {
            counters.CountSent();
            await OkAsync(context, message, cancellationToken);
            return;
        }
        if (outcome.ErrorCode == 429)
        {
            counters.CountRateLimited();
            await FailAsync(context, 429, $"Too Many Requests: retry after {outcome.RetryAfter.ToString(CultureInfo.InvariantCulture)}", cancellationToken, outcome.RetryAfter);
            return;
        }
        counters.CountRefused();
        await FailAsync(context, outcome.ErrorCode, outcome.Description!, cancellationToken);
    }

    private async Task GetUpdatesAsync(HttpContext context, Dictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        if (!TryNumber(parameters, "offset", 0, out var offset) || !TryNumber(parameters, "limit", MaxLimit, out var limit)
            || !TryNumber(parameters, "timeout", 0, out var timeout))
        {
            await FailAsync(context, 400, "Bad Request: invalid parameter", cancellationToken);
            return;
        }
        var (updates, conflict) = await state.PollAsync(offset, (int)Math.Clamp(limit, 1, MaxLimit), TimeSpan.FromSeconds(Math.Max(0, timeout)), cancellationToken);
        if (conflict)
        {
            await FailAsync(context, 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", cancellationToken);
            return;
        }
        await OkAsync(context, updates!, cancellationToken);
    }

    private static async Task<Dictionary<string, string>> ReadParametersAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Query)
            parameters[key] = value.ToString();
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            foreach (var (key, value) in form)
                parameters[key] = value.ToString();
        }
        else if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true
            && await EmulatorJson.ReadAsync(request.HttpContext, cancellationToken) is { ValueKind: JsonValueKind.Object } json)
        {
            foreach (var property in json.EnumerateObject())
                parameters[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }
        return parameters;
    }

    private static bool TryNumber(Dictionary<string, string> parameters, string name, long fallback, out long value)
    {
        value = fallback;
        return !parameters.TryGetValue(name, out var text) || text.Length == 0
            || long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static Task OkAsync(HttpContext context, object result, CancellationToken cancellationToken) =>
        EmulatorJson.WriteAsync(context, 200, new OkEnvelope(true, result), cancellationToken);

    private static Task FailAsync(HttpContext context, int code, string description, CancellationToken cancellationToken, int? retryAfter = null) =>
        EmulatorJson.WriteAsync(context, code, new ErrorEnvelope(false, code, description, retryAfter is { } seconds ? new ResponseParameters(seconds) : null), cancellationToken);
}
