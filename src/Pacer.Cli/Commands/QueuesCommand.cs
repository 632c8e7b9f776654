using System.CommandLine;
using Pacer.Storage;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer queues [list]</c>, <c>pacer queues pause NAME</c>, <c>pacer queues resume NAME</c>.</summary>
internal static class QueuesCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var json = JsonOption();
        var command = new Command("queues", "List queues with their paused flag and job counts by state; pause or resume one") { json };
        command.SetGuardedAction(context, (parse, cli, cancellationToken) => ListAsync(cli, parse.GetValue(json), cancellationToken));

        var listJson = JsonOption();
        var list = new Command("list", "Same as 'pacer queues'") { listJson };
        list.SetGuardedAction(context, (parse, cli, cancellationToken) => ListAsync(cli, parse.GetValue(listJson), cancellationToken));
        command.Subcommands.Add(list);
        command.Subcommands.Add(Steer(context, pause: true));
        command.Subcommands.Add(Steer(context, pause: false));
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON" };

    /// <param name="PausedChangedAt">When the flag was last set by pause or resume; null if never.</param>
    /// <param name="PausedWith">The queue whose pause holds this one (<c>default</c> for <c>default:web-1</c>) when its own flag does not.</param>
    private sealed record QueueView(string Name, bool Paused, DateTimeOffset? PausedChangedAt, string? PausedWith, IReadOnlyDictionary<string, long> Counts);

    private static async Task<int> ListAsync(CliContext cli, bool json, CancellationToken cancellationToken)
    {
        await using var session = StoreSession.Open(cli);
        var stats = await session.Store.GetStatsAsync(session.Time.GetUtcNow(), cancellationToken);
        var flags = (await session.Resources.ListQueuesAsync(cancellationToken)).ToDictionary(q => q.Name, StringComparer.Ordinal);
        var counts = stats.Queues.ToDictionary(q => q.Queue, q => q.Counts, StringComparer.Ordinal);
        var states = Enum.GetValues<JobState>();
        // Queues with jobs, queues ever paused, and the queues the configuration gives workers.
        var paused = flags.Values.Where(q => q.Paused).Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        var queues = counts.Keys.Concat(flags.Keys).Concat(session.Options.Queues.Keys)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(name => new QueueView(
                name,
                QueueState.IsHeld(name, paused),
                flags.GetValueOrDefault(name)?.UpdatedAt,
                paused.Contains(name) ? null : QueueState.PausedWith(name) is { } parent && paused.Contains(parent) ? parent : null,
                states.ToDictionary(s => s.ToWire(), s => counts.GetValueOrDefault(name)?.GetValueOrDefault(s) ?? 0)))
            .ToArray();

        if (json)
        {
            await Output.WriteJsonAsync(cli.Console, queues);
            return ExitCodes.Ok;
        }
        if (queues.Length == 0)
        {
            await Output.WriteLineAsync(cli.Console, $"No queues: {cli.DatabaseDisplay} has no jobs and no paused queue.");
            return ExitCodes.Ok;
        }
        await Output.WriteTableAsync(cli.Console,
            ["QUEUE", "PAUSED", .. states.Select(s => s.ToWire().ToUpperInvariant())],
            [.. queues.Select(q => (IReadOnlyList<string>)
            [
                q.Name,
                q.PausedWith is { } parent ? $"with {parent}" : q.Paused ? $"since {Output.Time(q.PausedChangedAt)}" : "-",
                .. states.Select(s => Output.Number(q.Counts[s.ToWire()])),
            ])]);
        return ExitCodes.Ok;
    }

    private static Command Steer(Func<ParseResult, CliContext> context, bool pause)
    {
        var name = new Argument<string>("NAME") { Description = "Queue name, e.g. default" };
        var command = pause
            ? new Command("pause", "Stop every worker fetching a queue's jobs until it is resumed (running ones finish)") { name }
            : new Command("resume", "Let workers fetch a paused queue's jobs again") { name };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var queue = parse.GetValue(name)!;
            await using var session = StoreSession.Open(cli);
            var known = await session.Resources.ListQueuesAsync(cancellationToken);
            var wasPaused = known.Any(q => q.Name == queue && q.Paused);
            try
            {
                if (pause)
                    await session.Resources.PauseQueueAsync(queue, cancellationToken);
                else
                    await session.Resources.ResumeQueueAsync(queue, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                throw CliException.Usage(ex);
            }
            var message = (pause, wasPaused) switch
            {
                (true, true) => $"Queue {queue} was already paused.",
                (true, false) => $"Paused queue {queue}: no worker fetches its jobs (running ones finish). Resume it with 'pacer queues resume {queue}'.",
                (false, true) => $"Resumed queue {queue}: workers fetch its jobs again.",
                (false, false) => $"Queue {queue} was not paused.",
            };
            // Queues named after it (default:web-1, a machine's queue of the channel-sync recipe) follow its pause.
            var stats = await session.Store.GetStatsAsync(session.Time.GetUtcNow(), cancellationToken);
            var following = stats.Queues.Select(q => q.Queue).Concat(known.Select(q => q.Name)).Concat(session.Options.Queues.Keys)
                .Where(name => QueueState.PausedWith(name) == queue).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (following.Length > 0)
                message += $" Queues named after it follow: {string.Join(", ", following)}.";
            if (!pause && QueueState.PausedWith(queue) is { } parent && known.Any(q => q.Name == parent && q.Paused))
                message += $" It stays held while {parent} is paused.";
            await Output.WriteLineAsync(cli.Console, message);
            return ExitCodes.Ok;
        });
        return command;
    }
}
