using System.CommandLine;
using Pacer.ChannelSync;
using Pacer.Storage;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer schedules [list]</c> and <c>pacer schedules remove NAME</c>: the recurring schedules kept in the store.</summary>
internal static class SchedulesCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("schedules", "List the recurring schedules kept in the database (e.g. by 'pacer sync --every'); remove one") { json };
        command.SetGuardedAction(context, (parse, cli, cancellationToken) => ListAsync(cli, parse.GetValue(json), cancellationToken));

        var listJson = new Option<bool>("--json") { Description = "Print JSON" };
        var list = new Command("list", "Same as 'pacer schedules'") { listJson };
        list.SetGuardedAction(context, (parse, cli, cancellationToken) => ListAsync(cli, parse.GetValue(listJson), cancellationToken));
        command.Subcommands.Add(list);

        var name = new Argument<string>("NAME") { Description = "The schedule's name, as listed" };
        var remove = new Command("remove", "Remove a stored schedule; jobs it already enqueued stay (see 'pacer jobs cancel --tag')") { name };
        remove.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            await using var session = StoreSession.Open(cli);
            var value = parse.GetValue(name)!;
            bool removed;
            try
            {
                removed = await session.Client.UnscheduleAsync(value, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                throw CliException.Usage(ex);
            }
            if (!removed)
                throw CliException.Failure($"No stored schedule is named '{value}'; see 'pacer schedules'.");
            // A scheduled sync's jobs carry schedule:NAME (see SyncCommand); a run underway, or one waiting for the quota's
            // reset, would otherwise go on unnoticed after its schedule is gone.
            var tag = SyncKeys.ScheduleTag(value);
            var unfinished = await session.Store.ListAsync(new JobQuery
            {
                States = JobStates.Unfinished,
                Tag = tag,
                Limit = 10_000,
            }, cancellationToken);
            await Output.WriteLineAsync(cli.Console, unfinished.Count == 0
                ? $"Removed schedule {value}."
                : $"Removed schedule {value}. {Output.Count(unfinished.Count, "unfinished job")} of its runs stay and will run; 'pacer jobs cancel --tag {tag}' cancels them.");
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(remove);
        return command;
    }

    private static async Task<int> ListAsync(CliContext cli, bool json, CancellationToken cancellationToken)
    {
        await using var session = StoreSession.Open(cli);
        var schedules = (await session.Client.ListSchedulesAsync(cancellationToken)).Where(s => s.Stored).ToArray();
        if (json)
        {
            await Output.WriteJsonAsync(cli.Console, schedules);
            return ExitCodes.Ok;
        }
        if (schedules.Length == 0)
        {
            await Output.WriteLineAsync(cli.Console, "No stored schedules. 'pacer sync ... --every CRON' stores one.");
            return ExitCodes.Ok;
        }
        await Output.WriteTableAsync(cli.Console, ["NAME", "CRON", "TIME ZONE", "KIND", "QUEUE", "NEXT RUN"],
            [.. schedules.Select(s => (IReadOnlyList<string>)[s.Name, s.Cron, s.TimeZone, s.Kind, s.Queue, Output.Time(s.NextSlot)])]);
        return ExitCodes.Ok;
    }
}
