using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Pacer.Emulators.Hosting;

/// <summary>Small helpers of the <c>/_emulator</c> endpoints: plain JSON answers and query parameters.</summary>
internal static class AdminEndpoint
{
    public static Task OkAsync(HttpContext context, object body, CancellationToken cancellationToken) =>
        EmulatorJson.WriteAsync(context, StatusCodes.Status200OK, body, cancellationToken);

    public static Task BadRequestAsync(HttpContext context, string message, CancellationToken cancellationToken) =>
        EmulatorJson.WriteAsync(context, StatusCodes.Status400BadRequest, new AdminError(message), cancellationToken);

    public static Task NotFoundAsync(HttpContext context, CancellationToken cancellationToken) =>
        EmulatorJson.WriteAsync(context, StatusCodes.Status404NotFound,
            new AdminError($"No admin endpoint {context.Request.Method} {context.Request.Path}; see docs/emulators.md."), cancellationToken);

    public static Dictionary<string, object> Counters(EmulatorCounters counters) =>
        counters.Describe().ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

    public static bool Is(HttpContext context, string method, PathString path, string expected) =>
        string.Equals(context.Request.Method, method, StringComparison.OrdinalIgnoreCase) && path.Equals(expected, StringComparison.Ordinal);

    public static string? Text(HttpContext context, string name) =>
        context.Request.Query.TryGetValue(name, out var values) && !string.IsNullOrEmpty(values.ToString()) ? values.ToString() : null;

    public static bool TryInt(HttpContext context, string name, int fallback, out int value)
    {
        var text = Text(context, name);
        value = fallback;
        return text is null || int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryLong(HttpContext context, string name, out long value)
    {
        value = 0;
        return Text(context, name) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryShare(HttpContext context, string name, out double value)
    {
        value = 0;
        return Text(context, name) is { } text
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && value is >= 0 and <= 1;
    }

    private sealed record AdminError(string Error);
}
