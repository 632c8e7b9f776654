using System.Text.Json.Serialization;

namespace Pacer.YouTube;

// The client's own reading of YouTube Data API v3 bodies (shared with nothing, the emulator least of all): only the
// fields the client uses, every one optional, so a field YouTube leaves out (private videos, hidden counts) is a null,
// not a failure. Statistics are strings in the API ("136528"); they are read as numbers from those strings.
// Classes with init properties rather than positional records: System.Text.Json fills those in place, where a
// constructor with parameters costs an argument buffer per object (one object per field group, several per video).

internal sealed class PageInfo
{
    public int? TotalResults { get; init; }

    public int? ResultsPerPage { get; init; }
}

internal sealed class ChannelListResponse
{
    public string? Etag { get; init; }

    public PageInfo? PageInfo { get; init; }

    public IReadOnlyList<ChannelItem>? Items { get; init; }
}

internal sealed class ChannelItem
{
    public string? Id { get; init; }

    public string? Etag { get; init; }

    public ChannelSnippet? Snippet { get; init; }

    public ChannelContentDetails? ContentDetails { get; init; }
}

internal sealed class ChannelSnippet
{
    public string? Title { get; init; }

    public string? CustomUrl { get; init; }
}

internal sealed class ChannelContentDetails
{
    public RelatedPlaylists? RelatedPlaylists { get; init; }
}

internal sealed class RelatedPlaylists
{
    public string? Uploads { get; init; }
}

internal sealed class PlaylistItemListResponse
{
    public string? Etag { get; init; }

    public string? NextPageToken { get; init; }

    public PageInfo? PageInfo { get; init; }

    public IReadOnlyList<PlaylistItem>? Items { get; init; }
}

internal sealed class PlaylistItem
{
    public PlaylistItemSnippet? Snippet { get; init; }

    public PlaylistItemContentDetails? ContentDetails { get; init; }
}

internal sealed class PlaylistItemSnippet
{
    public DateTimeOffset? PublishedAt { get; init; }

    public string? Title { get; init; }

    public int? Position { get; init; }

    public ResourceId? ResourceId { get; init; }

    public string? VideoOwnerChannelId { get; init; }

    public string? VideoOwnerChannelTitle { get; init; }
}

internal sealed class ResourceId
{
    public string? Kind { get; init; }

    public string? VideoId { get; init; }
}

internal sealed class PlaylistItemContentDetails
{
    public string? VideoId { get; init; }

    public DateTimeOffset? VideoPublishedAt { get; init; }
}

internal sealed class VideoListResponse
{
    public string? Etag { get; init; }

    public IReadOnlyList<VideoItem>? Items { get; init; }
}

internal sealed class VideoItem
{
    public string? Id { get; init; }

    public string? Etag { get; init; }

    public VideoSnippet? Snippet { get; init; }

    public VideoContentDetails? ContentDetails { get; init; }

    public VideoStatistics? Statistics { get; init; }
}

internal sealed class VideoSnippet
{
    public DateTimeOffset? PublishedAt { get; init; }

    public string? ChannelId { get; init; }

    public string? Title { get; init; }

    public string? ChannelTitle { get; init; }
}

internal sealed class VideoContentDetails
{
    public string? Duration { get; init; }
}

internal sealed class VideoStatistics
{
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? ViewCount { get; init; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? LikeCount { get; init; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? CommentCount { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChannelListResponse))]
[JsonSerializable(typeof(PlaylistItemListResponse))]
[JsonSerializable(typeof(VideoListResponse))]
internal sealed partial class YouTubeJson : JsonSerializerContext;
