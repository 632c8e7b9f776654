using Microsoft.AspNetCore.Http;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.Sheets;

/// <summary><c>/_emulator</c> of the Sheets emulator: list, create and read back spreadsheets; counters.</summary>
internal static class SheetsAdmin
{
    private const string Spreadsheets = "/spreadsheets";

    public static Task HandleAsync(SheetsApi api, SheetsCounters counters, HttpContext context, PathString path, CancellationToken cancellationToken)
    {
        if (AdminEndpoint.Is(context, "GET", path, "/counters"))
            return AdminEndpoint.OkAsync(context, AdminEndpoint.Counters(counters), cancellationToken);
        if (AdminEndpoint.Is(context, "GET", path, Spreadsheets))
            return AdminEndpoint.OkAsync(context, api.SpreadsheetIds.ToArray(), cancellationToken);
        if (path.StartsWithSegments(Spreadsheets, StringComparison.Ordinal, out var rest) && rest.Value is { Length: > 1 } idPath && !idPath[1..].Contains('/', StringComparison.Ordinal))
        {
            var id = idPath[1..];
            if (HttpMethods.IsGet(context.Request.Method))
            {
                return api.Find(id) is { } spreadsheet
                    ? AdminEndpoint.OkAsync(context, SheetsEmulator.Dump(spreadsheet), cancellationToken)
                    : AdminEndpoint.BadRequestAsync(context, $"No spreadsheet '{id}'.", cancellationToken);
            }
            if (HttpMethods.IsPost(context.Request.Method))
            {
                if (api.Find(id) is not null)
                    return AdminEndpoint.BadRequestAsync(context, $"A spreadsheet '{id}' exists already.", cancellationToken);
                var titles = AdminEndpoint.Text(context, "sheets")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
                var created = api.Create(id, AdminEndpoint.Text(context, "title") ?? "Untitled spreadsheet", titles);
                if (AdminEndpoint.Text(context, "sharedWith") is { } callers)
                {
                    lock (created.Gate)
                        created.SharedWith = [.. callers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                }
                return AdminEndpoint.OkAsync(context, SheetsEmulator.Dump(created), cancellationToken);
            }
        }
        return AdminEndpoint.NotFoundAsync(context, cancellationToken);
    }
}
