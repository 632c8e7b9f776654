using System.Text.RegularExpressions;

namespace Pacer;

/// <summary>Validation failures of <see cref="PacerOptions"/> as a user should read them, at start (the CLI) and on a reload (the log).</summary>
internal static partial class OptionsFailures
{
    /// <summary>
    /// DataAnnotations wraps each message as "DataAnnotation validation failed for 'PacerOptions' members: 'X' with the
    /// error: '...'."; keep the message, and name the key when the message does not (a [Range] message says "The field
    /// Concurrency ...").
    /// </summary>
    public static string Readable(string failure)
    {
        var match = DataAnnotationFailure().Match(failure);
        if (!match.Success)
            return failure;
        var message = match.Groups["message"].Value;
        var member = match.Groups["member"].Value;
        return message.StartsWith("Pacer:", StringComparison.Ordinal) || member.Length == 0 || member.Contains(',', StringComparison.Ordinal)
            ? message
            : $"Pacer:{member}: {message}";
    }

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '(?<member>[^']*)' with the error: '(?<message>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}
