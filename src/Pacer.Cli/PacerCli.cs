using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Pacer.Cli.Commands;

namespace Pacer.Cli;

/// <summary>The <c>pacer</c> command line: parsing, dispatch, and turning failures into one line and an exit code.</summary>
internal static class PacerCli
{
    public const string DefaultDatabase = "./pacer.db";

    /// <summary>The process entry point: real console, Ctrl+C and SIGTERM stop the command gracefully.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        using var stop = new CancellationTokenSource();
        // The first signal asks the command to stop gracefully; a second one ends the process at once.
        void OnSignal(PosixSignalContext signal)
        {
            signal.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await RunAsync(args, CliConsole.FromProcess(), overrides: null, stop.Token);
    }

    /// <summary>Runs one command line in this process; tests call this with captured writers.</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CliOverrides? overrides, CancellationToken cancellationToken)
    {
        var root = CreateRootCommand(console, overrides);
        // '@name' is a YouTube handle here, not a response file to read arguments from.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is ParseErrorAction && parse.Errors.Count > 0)
        {
            // A word the parser did not know explains more than what it then found missing.
            var error = parse.UnmatchedTokens.Count > 0
                ? parse.Errors.FirstOrDefault(e => e.Message.Contains(parse.UnmatchedTokens[0], StringComparison.Ordinal)) ?? parse.Errors[0]
                : parse.Errors[0];
            await console.Error.WriteLineAsync($"error: {OneLine(error.Message)} See '{CommandPath(parse.CommandResult)} --help'.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            // Every action reports its own failures (Guard); signals are handled by MainAsync, not with a 2 s kill.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        }, cancellationToken);
    }

    internal static Command CreateRootCommand(CliConsole console, CliOverrides? overrides)
    {
        // A plain command rather than RootCommand, whose name is the executable's file name (testhost in tests).
        var root = new Command("pacer", "Pacer: a durable job engine. Run workers, enqueue and inspect jobs in a SQLite or PostgreSQL database.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        // New option objects per command tree: a symbol records its parents, so sharing one across trees is not thread-safe.
        var database = new Option<string>("--db")
        {
            Description = "The SQLite database file, or a PostgreSQL connection string (postgres://user@host/db or Host=...;Database=...; password from PACER_DB_PASSWORD, PGPASSWORD or Password File=, never in the string)",
            DefaultValueFactory = _ => DefaultDatabase,
            HelpName = "PATH|CONNECTION",
            Recursive = true,
        };
        var config = new Option<string?>("--config")
        {
            Description = "appsettings-style JSON file; its \"Pacer\" section sets engine options and resources (see docs/configuration.md)",
            HelpName = "FILE",
            Recursive = true,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces of unexpected errors", Recursive = true };
        root.Options.Add(database);
        root.Options.Add(config);
        root.Options.Add(verbose);
        CliContext Context(ParseResult parse) => new(console, parse.GetValue(database) ?? DefaultDatabase, parse.GetValue(verbose), overrides)
        {
            ConfigFile = parse.GetValue(config),
            DatabaseGiven = parse.GetResult(database) is { Implicit: false },
        };

        root.Subcommands.Add(RunCommand.Create(Context));
        root.Subcommands.Add(EnqueueCommand.Create(Context));
        root.Subcommands.Add(JobsCommand.Create(Context));
        root.Subcommands.Add(StatusCommand.Create(Context));
        root.Subcommands.Add(ResourcesCommand.Create(Context));
        root.Subcommands.Add(QueuesCommand.Create(Context));
        root.Subcommands.Add(MigrateCommand.Create(Context));
        root.Subcommands.Add(SyncCommand.Create(Context));
        root.Subcommands.Add(SchedulesCommand.Create(Context));
        root.Subcommands.Add(DemoCommand.Create(Context));
        root.Subcommands.Add(EmulateCommand.Create(Context));
        root.Subcommands.Add(AuthorizeCommand.Create(Context));
        return root;
    }

    /// <summary>Sets a command's action, with the failure handling every command shares.</summary>
    public static void SetGuardedAction(this Command command, Func<ParseResult, CliContext> context, Func<ParseResult, CliContext, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = context(parse);
            return await GuardAsync(cli, () => action(parse, cli, cancellationToken), cancellationToken);
        });

    internal static async Task<int> GuardAsync(CliContext context, Func<Task<int>> action, CancellationToken cancellationToken)
    {
        var error = context.Console.Error;
        try
        {
            return await action();
        }
        catch (CliException ex)
        {
            await error.WriteLineAsync($"error: {OneLine(context.Scrub(ex.Message))}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (OptionsValidationException ex)
        {
            var failures = string.Join(" ", ex.Failures.Select(OptionsFailures.Readable));
            await error.WriteLineAsync($"error: invalid configuration: {OneLine(failures)} Fix the value in --config, the environment or the flag.");
            return ExitCodes.Usage;
        }
        catch (ArgumentException ex) when (context.IsPostgres && ex.StackTrace?.Contains("Pacer.PostgresConnectionString", StringComparison.Ordinal) == true)
        {
            // A malformed connection string or an unreadable password file: the user's to fix, already masked.
            await error.WriteLineAsync($"error: --db: {OneLine(context.Scrub(ex.Message))}");
            return ExitCodes.Usage;
        }
        catch (InvalidOperationException ex) when (context.IsPostgres && FromPostgres(ex))
        {
            // The PostgreSQL store's own account of a server it cannot use: names the server and the fix, never the password.
            await error.WriteLineAsync($"error: {OneLine(context.Scrub(ex.Message))}");
            if (context.Verbose)
                await error.WriteLineAsync(context.Scrub(ex.ToString()));
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (StoreErrors.Describe(ex, context.DatabasePath) is { } message)
        {
            await error.WriteLineAsync($"error: {OneLine(message)}");
            if (context.Verbose)
                await error.WriteLineAsync(ex.ToString());
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not a user error: say what it is, and the stack only when asked.
            await error.WriteLineAsync($"error: {ex.GetType().FullName}: {OneLine(context.Scrub(ex.Message))}" + (context.Verbose ? "" : " (run with --verbose for the stack trace)"));
            if (context.Verbose)
                await error.WriteLineAsync(context.Scrub(ex.ToString()));
            return ExitCodes.Failure;
        }
    }

    // Its own method, so that a SQLite run does not load Npgsql to compile the filter above (3.5 MB more resident).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool FromPostgres(InvalidOperationException ex) => ex.InnerException is Npgsql.NpgsqlException;

    /// <summary>Error output is one line per problem, whatever the message contains.</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult command)
                names.Add(command.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
