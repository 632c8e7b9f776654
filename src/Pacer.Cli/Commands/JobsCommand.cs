using System.CommandLine;
using System.Globalization;
using Pacer.Storage;
using Spectre.Console;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer jobs list|show|retry|cancel</c>.</summary>
internal static class JobsCommand
{
    private const int MaxLimit = 10_000;

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var command = new Command("jobs", "List, show, retry and cancel jobs");
        command.Subcommands.Add(List(context));
        command.Subcommands.Add(Show(context));
        command.Subcommands.Add(Retry(context));
        command.Subcommands.Add(Cancel(context));
        return command;
    }

    private static Command List(Func<ParseResult, CliContext> context)
    {
        var state = new Option<string[]>("--state") { Description = "Only jobs in these states (repeat or comma-separate): scheduled, available, waiting, running, retryable, completed, cancelled, discarded", HelpName = "S" };
        var queue = new Option<string?>("--queue") { Description = "Only jobs of this queue", HelpName = "Q" };
        var kind = new Option<string?>("--kind") { Description = "Only jobs of this kind", HelpName = "K" };
        var tag = new Option<string?>("--tag") { Description = "Only jobs carrying this tag (enqueue --tag; a sync's jobs carry sync:RUN, a scheduled sync's also schedule:NAME)", HelpName = "T" };
        var limit = new Option<int>("--limit") { Description = "Most jobs to list, newest first", DefaultValueFactory = _ => 100, HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List jobs, newest first") { state, queue, kind, tag, limit, json };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var states = CliParse.States("--state", parse.GetValue(state) ?? []);
            var count = parse.GetValue(limit);
            if (count is < 1 or > MaxLimit)
                throw CliException.Usage($"--limit {count} is out of range; use 1 to {MaxLimit}.");
            await using var session = StoreSession.Open(cli);
            var jobs = await session.Store.ListAsync(new JobQuery
            {
                States = states.Count > 0 ? states : null,
                Queue = parse.GetValue(queue),
                Kind = parse.GetValue(kind),
                Tag = parse.GetValue(tag),
                Limit = count,
            }, cancellationToken);

            if (parse.GetValue(json))
            {
                await Output.WriteJsonAsync(cli.Console, jobs.Select(JobSummary.From));
                return ExitCodes.Ok;
            }
            if (jobs.Count == 0)
            {
                await Output.WriteLineAsync(cli.Console, "No jobs match.");
                return ExitCodes.Ok;
            }
            // One last column for why a job is where it is: what a waiting job waits for, else the last error.
            await Output.WriteTableAsync(cli.Console,
                ["ID", "STATE", "KIND", "QUEUE", "ATTEMPT", "SCHEDULED", "FINALIZED", "WAITING FOR / LAST ERROR"],
                [.. jobs.Select(j => (IReadOnlyList<string>)
                [
                    j.Id.ToString(CultureInfo.InvariantCulture), j.State.ToWire(), j.Kind, j.Queue,
                    $"{j.Attempt}/{j.MaxAttempts}", Output.Time(j.ScheduledAt), Output.Time(j.FinalizedAt),
                    Output.Shorten(j.State == JobState.Waiting && j.WaitReason is { } reason ? reason : j.Errors.Count > 0 ? j.Errors[^1].Message : "", 90),
                ])]);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(Func<ParseResult, CliContext> context)
    {
        var id = new Argument<long>("ID") { Description = "Job id" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("show", "Show every field of a job, with its errors") { id, json };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var jobId = parse.GetValue(id);
            await using var session = StoreSession.Open(cli);
            var job = await session.Store.GetAsync(jobId, cancellationToken) ?? throw NotFound(jobId, cli.DatabaseDisplay);
            var view = JobView.From(job);
            if (parse.GetValue(json))
                await Output.WriteJsonAsync(cli.Console, view);
            else if (cli.Console.IsRich)
                WriteRich(cli.Console.Ansi, view);
            else
                await WritePlainAsync(cli.Console.Out, view);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Retry(Func<ParseResult, CliContext> context)
    {
        var id = new Argument<long>("ID") { Description = "Job id" };
        var command = new Command("retry", "Run a finished or retrying job again now") { id };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var jobId = parse.GetValue(id);
            await using var session = StoreSession.Open(cli);
            switch (await session.Client.RetryAsync(jobId, cancellationToken))
            {
                case RetryResult.NotFound:
                    throw NotFound(jobId, cli.DatabaseDisplay);
                case RetryResult.Running:
                    throw CliException.Failure($"Job {jobId} is running; wait for it to finish, or cancel it with 'pacer jobs cancel {jobId}' first.");
                case RetryResult.AlreadyWaiting:
                    await Output.WriteLineAsync(cli.Console, $"Job {jobId} is already waiting to run; nothing changed.");
                    break;
                default:
                    await Output.WriteLineAsync(cli.Console, $"Job {jobId} will run again now.");
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel(Func<ParseResult, CliContext> context)
    {
        var id = new Argument<long?>("ID") { Description = "Job id", Arity = ArgumentArity.ZeroOrOne };
        var tag = new Option<string?>("--tag") { Description = "Instead of one job, every unfinished job carrying this tag", HelpName = "T" };
        var command = new Command("cancel", "Cancel a job, or every unfinished job with a tag: a waiting job never runs; a running job's worker stops it") { id, tag };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var jobId = parse.GetValue(id);
            var jobTag = parse.GetValue(tag);
            if (jobId is null == jobTag is null)
                throw CliException.Usage("Give a job ID or --tag T (every unfinished job with the tag), not both and not neither.");
            await using var session = StoreSession.Open(cli);
            if (jobTag is not null)
                return await CancelTaggedAsync(cli, session, jobTag, cancellationToken);
            var message = await session.Client.CancelAsync(jobId!.Value, cancellationToken) switch
            {
                CancelResult.NotFound => throw NotFound(jobId.Value, cli.DatabaseDisplay),
                CancelResult.CancelRequested => $"Job {jobId} is running; its worker stops it at its next heartbeat.",
                CancelResult.AlreadyFinal => $"Job {jobId} has already finished; nothing changed.",
                _ => $"Job {jobId} cancelled.",
            };
            await Output.WriteLineAsync(cli.Console, message);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> CancelTaggedAsync(CliContext cli, StoreSession session, string tag, CancellationToken cancellationToken)
    {
        var (cancelled, running) = await TaggedJobs.CancelAsync(session.Client, session.Store, tag, cancellationToken);
        await Output.WriteLineAsync(cli.Console, cancelled + running == 0
            ? $"No unfinished job carries the tag '{tag}'; nothing changed."
            : $"Cancelled {Output.Count(cancelled, "job")} tagged '{tag}'" +
              (running switch
              {
                  0 => ".",
                  1 => "; 1 running job stops at its worker's next heartbeat.",
                  _ => $"; {Output.Number(running)} running jobs stop at their workers' next heartbeat.",
              }));
        return ExitCodes.Ok;
    }

    private static CliException NotFound(long id, string database) =>
        CliException.Failure($"No job {id} in {database}. List jobs with 'pacer jobs list', or pass the right --db.");

    private static IEnumerable<(string Label, string Value)> Fields(JobView job) =>
    [
        ("id", job.Id.ToString(CultureInfo.InvariantCulture)),
        ("kind", job.Kind),
        ("queue", job.Queue),
        ("state", job.State.ToWire() + (job.CancelRequested ? " (cancel requested)" : "")),
        .. job.WaitingOn is null ? [] : (IEnumerable<(string, string)>)
        [
            ("waiting on", job.WaitingOn),
            ("wait reason", job.WaitReason ?? "-"),
            ("wait until", $"{Output.Time(job.WaitUntil)} (looked at again then, or sooner when the resource frees up)"),
        ],
        ("attempt", $"{job.Attempt} of {job.MaxAttempts}"),
        ("priority", job.Priority.ToString(CultureInfo.InvariantCulture)),
        ("args", job.Args?.ToJsonString() ?? "null"),
        ("created", Output.Time(job.CreatedAt)),
        ("scheduled", Output.Time(job.ScheduledAt)),
        ("attempted", Output.Time(job.AttemptedAt)),
        ("finalized", Output.Time(job.FinalizedAt)),
        ("timeout", job.Timeout?.ToString() ?? "kind default"),
        ("tags", job.Tags.Count > 0 ? string.Join(", ", job.Tags) : "-"),
        ("claims", job.Claims.Count > 0 ? string.Join(", ", job.Claims.Select(c => $"{c.Resource}:{c.Cost}")) : "-"),
        ("unique key", job.UniqueKey ?? "-"),
        ("lease", job.LeaseOwner is null ? "-" : $"{job.LeaseOwner} until {Output.Time(job.LeaseExpiresAt)}"),
        ("trace parent", job.TraceParent ?? "-"),
    ];

    private static void WriteRich(IAnsiConsole console, JobView job)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (label, value) in Fields(job))
            grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(value));
        console.Write(grid);
        if (job.Errors.Count == 0)
            return;
        console.WriteLine();
        console.MarkupLine($"[bold]errors[/] ({job.Errors.Count})");
        foreach (var error in job.Errors)
        {
            console.MarkupLine($"[red]attempt {error.Attempt}[/] at {Output.Time(error.At)}: [bold]{Markup.Escape(error.Type)}[/]: {Markup.Escape(error.Message)}");
            if (error.StackTrace is { } stack)
                console.Write(new Text(stack + Environment.NewLine, new Style(decoration: Decoration.Dim)));
        }
    }

    private static async Task WritePlainAsync(TextWriter output, JobView job)
    {
        var width = Fields(job).Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in Fields(job))
            await output.WriteLineAsync($"{(label + ":").PadRight(width)} {value}");
        await output.WriteLineAsync($"{"errors:".PadRight(width)} {job.Errors.Count}");
        foreach (var error in job.Errors)
        {
            await output.WriteLineAsync($"  attempt {error.Attempt} at {Output.Time(error.At)}: {error.Type}: {error.Message}");
            if (error.StackTrace is { } stack)
            {
                foreach (var line in stack.Split('\n'))
                    await output.WriteLineAsync($"    {line.TrimEnd()}");
            }
        }
    }
}
