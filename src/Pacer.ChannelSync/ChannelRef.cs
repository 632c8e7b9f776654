using System.Text.RegularExpressions;

namespace Pacer.ChannelSync;

/// <summary>How a channel was named by the user: by id, handle or legacy username, or as the credential's user's own (<c>mine</c>).</summary>
public enum ChannelRefKind { Id, Handle, Username, Mine }

/// <summary>One channel as the user wrote it; <see cref="Text"/> is what the summary shows when it cannot be found.</summary>
public sealed partial record ChannelRef(ChannelRefKind Kind, string Value, string Text)
{
    /// <summary>
    /// Parses a channel list: one channel per line (or separated by commas), as a channel id (<c>UC</c> + 22 characters),
    /// a handle (<c>@name</c>), a channel or handle URL, <c>username:NAME</c>, or <c>mine</c> (the channel of the user
    /// an OAuth credential is for). Blank lines and <c>#</c> comments are skipped; repeats are dropped.
    /// </summary>
    /// <exception cref="FormatException">A line is none of these; the message names the line and the accepted forms.</exception>
    public static IReadOnlyList<ChannelRef> ParseList(string text, string source)
    {
        var refs = new List<ChannelRef>();
        var seen = new HashSet<(ChannelRefKind, string)>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var comment = line.IndexOf('#', StringComparison.Ordinal);
            if (comment >= 0)
                line = line[..comment];
            foreach (var part in line.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TryParse(part, out var channel))
                {
                    throw new FormatException(
                        $"{source}, line {i + 1}: '{Shorten(part)}' is not a channel; write a channel id (UC followed by 22 letters, digits, - or _), " +
                        "a handle (@name), a URL such as https://www.youtube.com/@name, username:NAME, or mine.");
                }
                if (seen.Add((channel.Kind, channel.Kind == ChannelRefKind.Id ? channel.Value : channel.Value.ToLowerInvariant())))
                    refs.Add(channel);
            }
        }
        return refs;
    }

    public static bool TryParse(string text, out ChannelRef channel)
    {
        channel = null!;
        var value = text.Trim();
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host.EndsWith("youtube.com", StringComparison.OrdinalIgnoreCase))
        {
            var segments = uri.AbsolutePath.Trim('/').Split('/');
            value = segments switch
            {
                ["channel", var id, ..] => id,
                [var handle, ..] when handle.StartsWith('@') => handle,
                ["user", var user, ..] => "username:" + user,
                _ => "",
            };
        }
        if (ChannelId().IsMatch(value))
            channel = new ChannelRef(ChannelRefKind.Id, value, text.Trim());
        else if (value.StartsWith('@') && Handle().IsMatch(value[1..]))
            channel = new ChannelRef(ChannelRefKind.Handle, value, text.Trim());
        else if (value.StartsWith("username:", StringComparison.OrdinalIgnoreCase) && Username().IsMatch(value[9..]))
            channel = new ChannelRef(ChannelRefKind.Username, value[9..], text.Trim());
        else if (value.Equals("mine", StringComparison.OrdinalIgnoreCase))
            channel = new ChannelRef(ChannelRefKind.Mine, "mine", text.Trim());
        return channel is not null;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    [GeneratedRegex("^UC[A-Za-z0-9_-]{22}$")]
    private static partial Regex ChannelId();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{3,30}$")]
    private static partial Regex Handle();

    [GeneratedRegex(@"^[A-Za-z0-9]{1,64}$")]
    private static partial Regex Username();
}
