namespace Pacer.Cli;

/// <summary>What every command gets: where to write, which database and configuration, and the test hooks.</summary>
internal sealed record CliContext(CliConsole Console, string DatabasePath, bool Verbose, CliOverrides? Overrides)
{
    /// <summary>The <c>--config</c> file, layered over the embedded defaults; null for none.</summary>
    public string? ConfigFile { get; init; }

    public CliHostSettings HostSettings() => new(DatabasePath) { ConfigFile = ConfigFile, Overrides = Overrides };
}
