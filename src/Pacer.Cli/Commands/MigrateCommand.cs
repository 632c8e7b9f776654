using System.CommandLine;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer migrate</c>: creates the database if needed and applies pending schema migrations.</summary>
internal static class MigrateCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("migrate", "Create the database or bring its schema up to date") { json };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            await using var session = StoreSession.Open(cli, create: true);
            var result = await session.Store.MigrateAsync(cancellationToken);
            if (parse.GetValue(json))
                await Output.WriteJsonAsync(cli.Console, new { database = cli.IsPostgres ? cli.DatabaseDisplay : Path.GetFullPath(cli.DatabasePath), fromVersion = result.FromVersion, toVersion = result.ToVersion, applied = result.Applied });
            else if (result.Applied.Count == 0)
                await Output.WriteLineAsync(cli.Console, $"{cli.DatabaseDisplay} is up to date at schema version {result.ToVersion}.");
            else
                await Output.WriteLineAsync(cli.Console, $"Migrated {cli.DatabaseDisplay} from schema version {result.FromVersion} to {result.ToVersion} ({string.Join(", ", result.Applied)}).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
