using Pacer.Sinks;

namespace Pacer.ChannelSync;

/// <summary>The columns of the videos table every destination gets, keyed by video id.</summary>
internal static class VideoTable
{
    public static TableSchema Schema { get; } = new(
    [
        new TableColumn("video_id"),
        new TableColumn("title"),
        new TableColumn("published_at", ColumnKind.DateTime),
        new TableColumn("duration_seconds", ColumnKind.Integer),
        new TableColumn("duration_iso"),
        new TableColumn("views", ColumnKind.Integer),
        new TableColumn("likes", ColumnKind.Integer),
        new TableColumn("comments", ColumnKind.Integer),
        new TableColumn("channel_id"),
        new TableColumn("channel_title"),
        new TableColumn("url", ColumnKind.Url),
        new TableColumn("first_seen_at", ColumnKind.DateTime),
    ]);

    /// <param name="firstSeen">When the job saw the videos: a <see cref="DateTimeOffset"/>, boxed once and shared by the job's rows.</param>
    public static TableRow Row(UploadItem item, VideoDetails? video, ResolvedChannelInfo channel, object firstSeen) => new(item.VideoId,
    [
        item.VideoId,
        video?.Title ?? item.Title,
        video?.PublishedAt ?? item.PublishedAt,
        video?.DurationSeconds,
        video?.DurationIso,
        video?.Views,
        video?.Likes,
        video?.Comments,
        // The job's own strings when they say the same: a row may be held for seconds, the copies read from each video's
        // JSON would be held with it.
        Same(video?.ChannelId, channel.ChannelId),
        Same(video?.ChannelTitle, channel.Title),
        $"https://www.youtube.com/watch?v={item.VideoId}",
        firstSeen,
    ]);

    private static string Same(string? read, string known) => read is null || string.Equals(read, known, StringComparison.Ordinal) ? known : read;
}

/// <summary>A channel as a channel job knows it.</summary>
internal sealed record ResolvedChannelInfo(string ChannelId, string Title);
