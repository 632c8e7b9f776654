using System.CommandLine;
using System.Globalization;

namespace Pacer.Cli.Commands;

/// <summary>
/// <c>pacer resources [list]</c>, <c>pacer resources pause NAME</c>, <c>pacer resources resume NAME</c>: the resources of
/// <c>Pacer:Resources</c> and those <c>pacer sync</c> declares (<c>youtube</c>, <c>sheets</c>) with their live state,
/// read from and written to the store every worker shares.
/// </summary>
internal static class ResourcesCommand
{
    private const int MaxReason = 200;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var json = JsonOption();
        var command = new Command("resources", "List the resources (those of Pacer:Resources, and youtube and sheets as 'pacer sync' declares them) with limits, permits free, quota, breaker, pauses and waiting jobs; pause or resume one") { json };
        command.SetGuardedAction(context, (parse, cli, cancellationToken) => ListAsync(cli, parse.GetValue(json), cancellationToken));

        var listJson = JsonOption();
        var list = new Command("list", "Same as 'pacer resources'") { listJson };
        list.SetGuardedAction(context, (parse, cli, cancellationToken) => ListAsync(cli, parse.GetValue(listJson), cancellationToken));
        command.Subcommands.Add(list);
        command.Subcommands.Add(Pause(context));
        command.Subcommands.Add(Resume(context));
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON" };

    private static async Task<int> ListAsync(CliContext cli, bool json, CancellationToken cancellationToken)
    {
        await using var session = StoreSession.Open(cli, recipeResources: true);
        var resources = InDisplayOrder(await session.Resources.ListAsync(cancellationToken));
        if (json)
        {
            await Output.WriteJsonAsync(cli.Console, resources);
            return ExitCodes.Ok;
        }
        await Output.WriteTableAsync(cli.Console,
            ["RESOURCE", "RATE", "FREE", "IN USE", "QUOTA", "USED/LEFT", "RESETS", "BREAKER", "PAUSED", "WAITING"],
            [.. resources.Select(Row)]);
        return ExitCodes.Ok;
    }

    /// <summary>Plain resources and templates by name, each template followed by its partitions.</summary>
    internal static IReadOnlyList<ResourceStatus> InDisplayOrder(IReadOnlyList<ResourceStatus> resources)
    {
        var top = resources.Where(r => r.Template is null).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        var partitions = resources.Where(r => r.Template is not null).OrderBy(r => r.Name, StringComparer.Ordinal).ToLookup(r => r.Template!, StringComparer.Ordinal);
        var ordered = new List<ResourceStatus>(resources.Count);
        foreach (var resource in top)
        {
            ordered.Add(resource);
            ordered.AddRange(partitions[resource.Name]);
        }
        // A partition whose template is not listed cannot happen today; show it rather than lose it.
        var templates = top.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        ordered.AddRange(partitions.Where(p => !templates.Contains(p.Key)).SelectMany(p => p));
        return ordered;
    }

    private static bool IsTemplate(ResourceStatus resource) => resource.Template is null && resource.Name.Contains('{', StringComparison.Ordinal);

    private static IReadOnlyList<string> Row(ResourceStatus r)
    {
        // A template's row carries the limits each partition gets; its live figures are the partitions' rows.
        var template = IsTemplate(r);
        var name = r.Template is not null ? "  " + r.Name : r.Name;
        if (!r.Configured)
            name += " (not configured)";
        return
        [
            name,
            r.Rate ?? "-",
            template ? "-" : r.RatePermitsAvailable?.ToString(CultureInfo.InvariantCulture) ?? "-",
            (template ? "-" : r.InUse.ToString(CultureInfo.InvariantCulture)) + (r.Concurrency is { } cap ? $"/{cap}" : ""),
            (r.Quota ?? "-") + (r.QuotaObserved is { } observed ? $" (server let {Output.Number(observed)} through)" : ""),
            template || r.QuotaUsed is null ? "-" : $"{Output.Number(r.QuotaUsed.Value)}/{Output.Number(r.QuotaRemaining ?? 0)}" + (r.QuotaExhausted ? " used up" : ""),
            r.Quota is null ? "-" : Output.Time(r.QuotaResetsAt),
            r.Breaker is null ? "-" : template ? "per partition" : r.Breaker == "open" ? $"open until {Output.Time(r.BreakerOpenUntil)}" : r.Breaker,
            !r.Paused ? "-" : (r.PausedUntil is { } until ? $"until {Output.Time(until)}" : "until resumed") + (r.PauseReason is { Length: > 0 } reason ? $": {Output.Shorten(reason, 50)}" : ""),
            Output.Number(r.Waiting),
        ];
    }

    private static Command Pause(Func<ParseResult, CliContext> context)
    {
        var name = new Argument<string>("NAME") { Description = "The resource, e.g. hooks, or a partition of a template, e.g. account-42" };
        var @for = new Option<string?>("--for") { Description = "Resume by itself after this long, e.g. 30s, 5min, 2h (default: until 'pacer resources resume')", HelpName = "DURATION" };
        var reason = new Option<string?>("--reason") { Description = "Why, shown with the resource and its waiting jobs", HelpName = "TEXT" };
        var command = new Command("pause", "Stop starting jobs that claim a resource (running ones finish), for a while or until resumed") { name, @for, reason };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var resource = parse.GetValue(name)!;
            TimeSpan? duration = parse.GetValue(@for) is { } text ? CliParse.Duration("--for", text) : null;
            if (duration <= TimeSpan.Zero)
                throw CliException.Usage($"--for '{parse.GetValue(@for)}' is no time at all; give a positive duration such as 30s, 5min or 2h, or leave --for out to pause until resumed.");
            var why = parse.GetValue(reason) is { } given ? PacerCli.OneLine(given) : null;
            if (why is { Length: > MaxReason })
                throw CliException.Usage($"--reason is {why.Length} characters long; keep it to {MaxReason}.");

            await using var session = StoreSession.Open(cli, recipeResources: true);
            await SteerAsync(session, resource, () => session.Resources.PauseAsync(resource, duration, why is { Length: > 0 } ? why : null, cancellationToken));
            var paused = (await session.Resources.ListAsync(cancellationToken)).FirstOrDefault(r => r.Name == resource);
            var until = paused?.PausedUntil is { } at ? $"until {Output.Time(at)}" : "until resumed";
            await Output.WriteLineAsync(cli.Console,
                $"Paused {resource} {until}: jobs claiming it wait (running ones finish). Resume it with 'pacer resources resume {resource}'.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Resume(Func<ParseResult, CliContext> context)
    {
        var name = new Argument<string>("NAME") { Description = "The resource, e.g. hooks, or a partition of a template, e.g. account-42" };
        var command = new Command("resume", "End a resource's pause (an operator's or a server's); jobs waiting on it can start again") { name };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var resource = parse.GetValue(name)!;
            await using var session = StoreSession.Open(cli, recipeResources: true);
            var before = (await session.Resources.ListAsync(cancellationToken)).FirstOrDefault(r => r.Name == resource);
            await SteerAsync(session, resource, () => session.Resources.ResumeAsync(resource, cancellationToken));
            await Output.WriteLineAsync(cli.Console, before is { Paused: true }
                ? $"Resumed {resource}: {Output.Number(before.Waiting)} waiting {(before.Waiting == 1 ? "job" : "jobs")} can start again."
                : $"{resource} was not paused.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Runs a pause or resume; a name the configuration does not know is a usage error naming the known ones.</summary>
    private static async Task SteerAsync(StoreSession session, string resource, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (ArgumentException ex) when (ex.ParamName == "resource")
        {
            // The core names the configured resources, or says to name a template's partition.
            throw CliException.Usage(ex);
        }
    }
}
