namespace Pacer.Cli;

/// <summary>Process exit codes of <c>pacer</c>.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A runtime failure: unknown job, unusable database, an unexpected error.</summary>
    public const int Failure = 1;

    /// <summary>The command line or its input is wrong: fix the command and run it again.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C or SIGTERM before it finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}

/// <summary>A problem the user can fix, reported as one line naming the problem and the fix (no stack trace).</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message) : this(ExitCodes.Failure, message)
    {
    }

    public CliException(string message, Exception innerException) : base(message, innerException)
    {
        ExitCode = ExitCodes.Failure;
    }

    private CliException(int exitCode, string message, Exception? innerException = null) : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; } = ExitCodes.Failure;

    public static CliException Usage(string message, Exception? innerException = null) => new(ExitCodes.Usage, message, innerException);

    public static CliException Failure(string message, Exception? innerException = null) => new(ExitCodes.Failure, message, innerException);

    /// <summary>A usage error from the core's argument check, its message without the " (Parameter 'x')" suffix.</summary>
    public static CliException Usage(ArgumentException exception) =>
        Usage(exception.ParamName is { } name ? exception.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : exception.Message, exception);
}
