using System.CommandLine;
using System.Globalization;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer status</c>: jobs per queue and state, and how many finished in the last minute.</summary>
internal static class StatusCommand
{
    private static readonly TimeSpan ThroughputWindow = TimeSpan.FromMinutes(1);

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("status", "Queues, job counts by state, and throughput (jobs finished in the last minute)") { json };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            await using var session = StoreSession.Open(cli);
            var now = session.Time.GetUtcNow();
            var stats = await session.Store.GetStatsAsync(now - ThroughputWindow, cancellationToken);
            var states = Enum.GetValues<JobState>();
            var queues = stats.Queues
                .OrderBy(q => q.Queue, StringComparer.Ordinal)
                .Select(q => new QueueStatus(q.Queue, states.ToDictionary(s => s.ToWire(), s => q.Counts.GetValueOrDefault(s))))
                .ToArray();
            var totals = states.ToDictionary(s => s.ToWire(), s => queues.Sum(q => q.Counts[s.ToWire()]));
            var status = new Status(now, queues, totals, stats.FinalizedSince, Math.Round(stats.FinalizedSince / ThroughputWindow.TotalSeconds, 2));

            if (parse.GetValue(json))
            {
                await Output.WriteJsonAsync(cli.Console, status);
                return ExitCodes.Ok;
            }
            if (queues.Length == 0)
            {
                await Output.WriteLineAsync(cli.Console, $"No jobs in {cli.DatabaseDisplay}.");
                return ExitCodes.Ok;
            }
            var rows = queues.Select(q => Row(q.Name, q.Counts)).Append(Row("(all)", totals)).ToArray();
            await Output.WriteTableAsync(cli.Console, ["QUEUE", .. states.Select(s => s.ToWire().ToUpperInvariant())], rows);
            await Output.WriteLineAsync(cli.Console,
                $"Throughput: {Output.Number(stats.FinalizedSince)} jobs finished in the last minute ({status.ThroughputPerSecond.ToString("0.##", CultureInfo.InvariantCulture)}/s).");
            return ExitCodes.Ok;

            IReadOnlyList<string> Row(string name, IReadOnlyDictionary<string, long> counts) =>
                [name, .. states.Select(s => Output.Number(counts[s.ToWire()]))];
        });
        return command;
    }

    private sealed record QueueStatus(string Name, IReadOnlyDictionary<string, long> Counts);

    private sealed record Status(DateTimeOffset At, IReadOnlyList<QueueStatus> Queues, IReadOnlyDictionary<string, long> Totals, long FinishedLastMinute, double ThroughputPerSecond);
}
