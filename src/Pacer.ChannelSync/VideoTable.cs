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

    public static TableRow Row(UploadItem item, VideoDetails? video, ResolvedChannelInfo channel, DateTimeOffset firstSeen) => new(item.VideoId,
    [
        item.VideoId,
        video?.Title ?? item.Title,
        video?.PublishedAt ?? item.PublishedAt,
        video?.DurationSeconds,
        video?.DurationIso,
        video?.Views,
        video?.Likes,
        video?.Comments,
        video?.ChannelId ?? channel.ChannelId,
        video?.ChannelTitle ?? channel.Title,
        $"https://www.youtube.com/watch?v={item.VideoId}",
        firstSeen,
    ]);
}

/// <summary>A channel as a channel job knows it.</summary>
internal sealed record ResolvedChannelInfo(string ChannelId, string Title);
