using Spectre.Console;

namespace Pacer.Cli;

/// <summary>
/// Where a command writes. Machine-readable and plain text go straight to <see cref="Out"/> (never wrapped);
/// tables and progress go through <see cref="Ansi"/> when <see cref="IsRich"/>; errors go to <see cref="Error"/>.
/// </summary>
internal sealed class CliConsole
{
    private CliConsole(TextWriter output, TextWriter error, IAnsiConsole ansi, bool isRich)
    {
        Out = output;
        Error = error;
        Ansi = ansi;
        IsRich = isRich;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public IAnsiConsole Ansi { get; }

    /// <summary>True when stdout is a terminal: colours, tables and live progress. False: plain lines, no ANSI.</summary>
    public bool IsRich { get; }

    /// <summary>The process's own stdout and stderr.</summary>
    public static CliConsole FromProcess()
    {
        var rich = !Console.IsOutputRedirected;
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = rich ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = rich ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = rich ? InteractionSupport.Detect : InteractionSupport.No,
        });
        return new CliConsole(Console.Out, Console.Error, ansi, rich && ansi.Profile.Capabilities.Ansi);
    }

    /// <summary>Plain output into the given writers (tests, and anything that captures output).</summary>
    public static CliConsole ForWriters(TextWriter output, TextWriter error)
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        return new CliConsole(output, error, ansi, isRich: false);
    }
}
