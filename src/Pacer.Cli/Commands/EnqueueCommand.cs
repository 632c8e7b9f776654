using System.CommandLine;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer enqueue KIND --args JSON ...</c>: validates everything first, so bad input stores nothing.</summary>
internal static class EnqueueCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var kind = new Argument<string>("KIND") { Description = "Job kind: http, noop, sleep" };
        var args = new Option<string>("--args")
        {
            Description = "Arguments as a JSON object (see the kinds above)",
            DefaultValueFactory = _ => "{}",
            HelpName = "JSON",
        };
        var queue = new Option<string?>("--queue") { Description = "Queue (default: the kind's, usually 'default')", HelpName = "Q" };
        var priority = new Option<int?>("--priority") { Description = "Higher runs first among due jobs of a queue", HelpName = "N" };
        var at = new Option<string?>("--at") { Description = "Run at this ISO 8601 time, e.g. 2026-11-25T17:00:00Z", HelpName = "TIME" };
        var @in = new Option<string?>("--in") { Description = "Run after this delay, e.g. 30s, 5min, 1h", HelpName = "DURATION" };
        var uniqueKey = new Option<string?>("--unique-key") { Description = "While an unfinished job has this key, return it instead of adding another", HelpName = "K" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts before the job is discarded", HelpName = "N" };
        var tags = new Option<string[]>("--tag") { Description = "A tag (repeat for more)", HelpName = "T" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };

        var command = new Command("enqueue", """
            Add a job to the database; prints its id. The built-in kinds and their --args:
              http   {"url":"https://example.org/hook","method":"POST","headers":{"Content-Type":"application/json"},"body":"{}","timeoutSeconds":10}
                     2xx completes; 5xx, 408, timeouts and network errors retry; 429 with Retry-After waits as asked; other 4xx fail at once
              sleep  {"milliseconds":500}
              noop   {}
            """)
        {
            kind, args, queue, priority, at, @in, uniqueKey, maxAttempts, tags, json,
        };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var atValue = parse.GetValue(at);
            var inValue = parse.GetValue(@in);
            if (atValue is not null && inValue is not null)
                throw CliException.Usage("--at and --in both say when to run; give one of them.");
            var attempts = parse.GetValue(maxAttempts);
            if (attempts is < 1)
                throw CliException.Usage($"--max-attempts {attempts} is too small; a job needs at least 1 attempt.");
            var options = new EnqueueOptions
            {
                Queue = parse.GetValue(queue),
                Priority = parse.GetValue(priority),
                RunAt = atValue is null ? null : CliParse.Time("--at", atValue),
                RunIn = inValue is null ? null : CliParse.Duration("--in", inValue),
                UniqueKey = parse.GetValue(uniqueKey),
                MaxAttempts = attempts,
                Tags = parse.GetValue(tags) is { Length: > 0 } t ? t : null,
            };

            await using var session = StoreSession.Open(cli);
            EnqueueResult result;
            try
            {
                result = await session.Client.EnqueueAsync(parse.GetValue(kind)!, parse.GetValue(args)!, options, cancellationToken);
            }
            catch (JobArgsException ex)
            {
                throw CliException.Usage($"{ex.Message} See 'pacer enqueue --help' for each kind's arguments.", ex);
            }
            catch (ArgumentException ex)
            {
                // The client checks options (queue name, times, unique key) before storing anything.
                throw CliException.Usage(ex);
            }

            if (parse.GetValue(json))
                await Output.WriteJsonAsync(cli.Console, new { id = result.Id, existing = result.Existing });
            else if (result.Existing)
                await Output.WriteLineAsync(cli.Console, $"{result.Id} (already enqueued under unique key '{options.UniqueKey}'; no new job added)");
            else
                await Output.WriteLineAsync(cli.Console, result.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return ExitCodes.Ok;
        });
        return command;
    }
}
