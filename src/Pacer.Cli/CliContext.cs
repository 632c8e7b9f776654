namespace Pacer.Cli;

/// <summary>What every command gets: where to write, which database, and the test hooks.</summary>
internal sealed record CliContext(CliConsole Console, string DatabasePath, bool Verbose, CliOverrides? Overrides)
{
    public CliHostSettings HostSettings() => new(DatabasePath) { Overrides = Overrides };
}
