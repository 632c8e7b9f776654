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
        var tag = new Option<string?>("--tag") { Description = "Only jobs carrying this tag (enqueue --tag; a sync's jobs carry run:RUN and sync:ID, one ID per set of channels and destinations, a scheduled sync's also schedule:NAME)", HelpName = "T" };
        var limit = new Option<int>("--limit") { Description = "Most jobs to list, newest first", DefaultValueFactory = _ => 100, HelpName = "N" };
        var before = new Option<long?>("--before") { Description = "Only jobs older than this id: the next page after a list that ended at it", HelpName = "ID" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List jobs, newest first") { state, queue, kind, tag, limit, before, json };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var states = CliParse.States("--state", parse.GetValue(state) ?? []);
            var count = parse.GetValue(limit);
            if (count is < 1 or > MaxLimit)
                throw CliException.Usage($"--limit {count} is out of range; use 1 to {MaxLimit}.");
            await using var session = StoreSession.Open(cli);
            // One more than asked for, to tell the reader of a table that more match.
            var jobs = await session.Store.ListAsync(new JobQuery
            {
                States = states.Count > 0 ? states : null,
                Queue = parse.GetValue(queue),
                Kind = parse.GetValue(kind),
                Tag = parse.GetValue(tag),
                BeforeId = parse.GetValue(before),
                Limit = count + 1,
            }, cancellationToken);
            var more = jobs.Count > count;
            if (more)
                jobs = [.. jobs.Take(count)];

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
            if (more)
                await Output.WriteLineAsync(cli.Console, $"More jobs match; the next {Output.Number(count)}: the same command with --before {jobs[^1].Id}.");
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
        var id = new Argument<long?>("ID") { Description = "Job id", Arity = ArgumentArity.ZeroOrOne };
        var filter = new BulkOptions("Instead of one job, every job in these states (repeat or comma-separate): discarded (the default), retryable, cancelled, completed",
            JobStates.Retriable, "a job waiting to run or running cannot be retried");
        var command = new Command("retry",
            "Run a finished or retrying job again now, or every job matching --state (discarded unless given), --queue, --kind and --tag " +
            "(see them first with 'pacer jobs list' and the same options). A job out of attempts gets one more")
        { id };
        filter.AddTo(command);
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var jobId = parse.GetValue(id);
            if (filter.Read(parse, jobId is not null, "retry") is { } jobs)
            {
                await using var bulk = StoreSession.Open(cli);
                var what = BulkOptions.Describe(jobs, "discarded", sayDefault: true);
                if (filter.IsDryRun(parse))
                {
                    var (matching, _) = await BulkOptions.CountAsync(bulk.Store, jobs, JobStates.RetriedByDefault, cancellationToken);
                    await Output.WriteLineAsync(cli.Console, matching == 0 ? what.None
                        : $"{Output.Count(matching, what.Noun)}{what.Filters} {(matching == 1 ? "matches" : "match")}: a retry would run {(matching == 1 ? "it" : "them")} again now. Nothing changed (--dry-run).");
                    return ExitCodes.Ok;
                }
                var result = await BulkProgress.RunAsync<RetryManyResult>(cli, bulk.Time, $"Retrying {what.Noun}s{what.Filters}",
                    so => so.Retried, done => $"retried {Output.Count(done, what.Noun)}{what.Filters}",
                    progress => bulk.Client.RetryManyAsync(jobs, progress, cancellationToken), cancellationToken);
                var held = result.AlreadyWaiting == 0 ? "" :
                    $"{Output.Count(result.AlreadyWaiting, result.Retried == 0 ? what.Noun : "job")}{(result.Retried == 0 ? what.Filters : "")} " +
                    $"left as {(result.AlreadyWaiting == 1 ? "it was" : "they were")}: another job with the same unique key is already waiting to run.";
                await Output.WriteLineAsync(cli.Console, (result.Retried, result.AlreadyWaiting) switch
                {
                    (0, 0) => what.None,
                    (0, _) => $"Nothing retried: {held}",
                    _ => $"Retried {Output.Count(result.Retried, what.Noun)}{what.Filters}: {(result.Retried == 1 ? "it runs" : "they run")} again now." +
                         (held.Length == 0 ? "" : " " + held),
                });
                return ExitCodes.Ok;
            }
            await using var session = StoreSession.Open(cli);
            switch (await session.Client.RetryAsync(jobId!.Value, cancellationToken))
            {
                case RetryResult.NotFound:
                    throw NotFound(jobId.Value, cli.DatabaseDisplay);
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
        var filter = new BulkOptions("Instead of one job, every job in these unfinished states (repeat or comma-separate; all of them unless given): scheduled, available, waiting, running, retryable",
            JobStates.Unfinished, "only unfinished jobs can be cancelled");
        var command = new Command("cancel",
            "Cancel a job, or every unfinished job matching --state, --queue, --kind and --tag: a waiting job never runs; a running job's worker stops it")
        { id };
        filter.AddTo(command);
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var jobId = parse.GetValue(id);
            if (filter.Read(parse, jobId is not null, "cancel") is { } jobs)
            {
                await using var bulk = StoreSession.Open(cli);
                var what = BulkOptions.Describe(jobs, "unfinished", sayDefault: false);
                if (filter.IsDryRun(parse))
                {
                    var (matching, runs) = await BulkOptions.CountAsync(bulk.Store, jobs, JobStates.Unfinished, cancellationToken);
                    await Output.WriteLineAsync(cli.Console, matching == 0 ? what.None
                        : $"{Output.Count(matching, what.Noun)}{what.Filters} {(matching == 1 ? "matches" : "match")}: a cancel would cancel {(matching == 1 ? "it" : "them")}" +
                          (runs switch
                          {
                              0 => "",
                              _ when matching == 1 => "; it is running and would stop at its worker's next heartbeat",
                              1 => "; 1 of them is running and would stop at its worker's next heartbeat",
                              _ => $"; {Output.Number(runs)} of them are running and would stop at their workers' next heartbeat",
                          }) +
                          ". Nothing changed (--dry-run).");
                    return ExitCodes.Ok;
                }
                var (cancelled, running) = await BulkProgress.RunAsync<CancelManyResult>(cli, bulk.Time, $"Cancelling {what.Noun}s{what.Filters}",
                    so => so.Cancelled + so.CancelRequested, done => $"cancelled {Output.Count(done, what.Noun)}{what.Filters}",
                    progress => bulk.Client.CancelManyAsync(jobs, progress, cancellationToken), cancellationToken);
                await Output.WriteLineAsync(cli.Console, cancelled + running == 0
                    ? what.None
                    : $"Cancelled {Output.Count(cancelled + running, what.Noun)}{what.Filters}" + (running switch
                    {
                        0 => ".",
                        1 => "; 1 of them was running and stops at its worker's next heartbeat.",
                        _ => $"; {Output.Number(running)} of them were running and stop at their workers' next heartbeat.",
                    }));
                return ExitCodes.Ok;
            }
            await using var session = StoreSession.Open(cli);
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

    /// <summary>The options that turn <c>retry</c> and <c>cancel</c> from one job into every job they match.</summary>
    private sealed class BulkOptions(string stateDescription, IReadOnlyList<JobState> allowed, string why)
    {
        private readonly Option<string[]> _state = new("--state") { Description = stateDescription, HelpName = "S" };
        private readonly Option<string?> _queue = new("--queue") { Description = "Instead of one job, every matching job of this queue", HelpName = "Q" };
        private readonly Option<string?> _kind = new("--kind") { Description = "Instead of one job, every matching job of this kind", HelpName = "K" };
        private readonly Option<string?> _tag = new("--tag") { Description = "Instead of one job, every matching job carrying this tag (a sync's jobs carry run:RUN and sync:ID, a scheduled sync's also schedule:NAME)", HelpName = "T" };
        private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Only say how many jobs the filters match (and how many of them run); change nothing" };

        public void AddTo(Command command)
        {
            command.Options.Add(_state);
            command.Options.Add(_queue);
            command.Options.Add(_kind);
            command.Options.Add(_tag);
            command.Options.Add(_dryRun);
        }

        public bool IsDryRun(ParseResult parse) => parse.GetValue(_dryRun);

        /// <summary>How many jobs the filter matches (in <paramref name="byDefault"/> states unless it names some), and how many of them run.</summary>
        public static async Task<(int Matching, int Running)> CountAsync(IJobStore store, JobFilter filter, IReadOnlyList<JobState> byDefault, CancellationToken cancellationToken)
        {
            var states = filter.States ?? byDefault;
            var query = new JobQuery { States = [.. states], Queue = filter.Queue, Kind = filter.Kind, Tag = filter.Tag, Limit = MaxLimit };
            async Task<int> CountIdsAsync(JobQuery page)
            {
                var count = 0;
                for (var ids = await store.ListIdsAsync(page, cancellationToken); ; ids = await store.ListIdsAsync(page, cancellationToken))
                {
                    count += ids.Count;
                    if (ids.Count < page.Limit)
                        return count;
                    page = page with { BeforeId = ids[^1] };
                }
            }
            return (await CountIdsAsync(query), states.Contains(JobState.Running) ? await CountIdsAsync(query with { States = [JobState.Running] }) : 0);
        }

        /// <summary>The filter, or null for one job by its id; a usage error when both or neither are given.</summary>
        public JobFilter? Read(ParseResult parse, bool hasId, string verb)
        {
            var states = CliParse.States("--state", parse.GetValue(_state) ?? []);
            foreach (var state in states)
            {
                if (!allowed.Contains(state))
                    throw CliException.Usage($"--state {state.ToWire()}: {why}; use {string.Join(", ", allowed.Select(s => s.ToWire()))}.");
            }
            var filter = new JobFilter
            {
                States = states.Count > 0 ? states : null,
                Queue = parse.GetValue(_queue),
                Kind = parse.GetValue(_kind),
                Tag = parse.GetValue(_tag),
            };
            var any = filter.States is not null || filter.Queue is not null || filter.Kind is not null || filter.Tag is not null;
            if (hasId && parse.GetValue(_dryRun))
                throw CliException.Usage($"--dry-run counts the jobs --state, --queue, --kind and --tag match; for one job, see it with 'pacer jobs show ID'.");
            if (hasId == any)
                throw CliException.Usage(
                    $"Give a job ID, or --state, --queue, --kind or --tag to {verb} every job they match (not both and not neither); " +
                    $"e.g. 'pacer jobs {verb} --kind http --queue default'.");
            return any ? filter : null;
        }

        /// <summary>
        /// Words for the jobs a filter took: the noun to count ("discarded job"; "job" when the states are the default
        /// and go without saying) and the filters (" of kind 'http' tagged 'x'").
        /// </summary>
        public static (string Noun, string None, string Filters) Describe(JobFilter filter, string defaultStates, bool sayDefault)
        {
            var given = filter.States is { Count: > 0 };
            var states = given ? string.Join(" or ", filter.States!.Select(state => state.ToWire())) : defaultStates;
            var filters = (filter.Kind is null ? "" : $" of kind '{filter.Kind}'") +
                (filter.Queue is null ? "" : $" in queue '{filter.Queue}'") +
                (filter.Tag is null ? "" : $" tagged '{filter.Tag}'");
            return (given || sayDefault ? $"{states} job" : "job", $"No {states} job{filters}; nothing changed.", filters);
        }
    }

    /// <summary>
    /// Shows a bulk operation's totals as its pages go by: a live line on a terminal; otherwise a plain line at most once
    /// a second, and none for an operation done within a second. Stopped part way (Ctrl+C), it says how far it got: the
    /// pages done stay done.
    /// </summary>
    private static class BulkProgress
    {
        /// <param name="title">What it does ("Retrying discarded jobs of kind 'http'").</param>
        /// <param name="count">The jobs changed so far, from the operation's totals.</param>
        /// <param name="done">What that many jobs changed is ("retried 500 discarded jobs of kind 'http'").</param>
        public static async Task<T> RunAsync<T>(CliContext cli, TimeProvider time, string title, Func<T, int> count, Func<int, string> done,
            Func<IProgress<T>, Task<T>> operation, CancellationToken cancellationToken)
        {
            var changed = 0;
            try
            {
                if (cli.Console.IsRich)
                {
                    return await cli.Console.Ansi.Status().StartAsync(Markup.Escape(title) + "...", context => operation(new Inline<T>(totals =>
                    {
                        changed = count(totals);
                        context.Status = Markup.Escape($"{title}: {Output.Number(changed)} so far...");
                    })));
                }
                var lines = new PlainProgress(time.GetUtcNow());
                return await operation(new Inline<T>(totals =>
                {
                    changed = count(totals);
                    var line = $"{title}: {Output.Number(changed)} so far.";
                    if (lines.ShouldWrite(line, time.GetUtcNow()))
                        cli.Console.Out.WriteLine(line);
                }));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Said before the command's "Interrupted.", as a sync's Ctrl+C says what it leaves.
                await cli.Console.Error.WriteLineAsync(changed == 0
                    ? "Stopped before any job changed."
                    : $"Stopped: {done(changed)}; the other jobs are as they were: run the same command again for them.");
                throw;
            }
        }

        /// <summary>Reports on the operation's own thread, as its page ends (<see cref="Progress{T}"/> would post them, late and out of order).</summary>
        private sealed class Inline<T>(Action<T> report) : IProgress<T>
        {
            public void Report(T value) => report(value);
        }
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
