using System.Text.Json.Serialization;

namespace Pacer.YouTube;

// The client's own reading of YouTube Data API v3 bodies (shared with nothing, the emulator least of all): only the
// fields the client uses, every one optional, so a field YouTube leaves out (private videos, hidden counts) is a null,
// not a failure. Statistics are strings in the API ("136528"); they are read as numbers from those strings.
// Classes with settable properties, not records and not init-only properties: System.Text.Json's source generator fills
// settable properties in place, but builds an object with init-only properties (as one with constructor parameters)
// from an argument buffer and an object array, with every value boxed: 170 MB of garbage over a 1,000-channel sync.

internal sealed class PageInfo
{
    public int? TotalResults { get; set; }

    public int? ResultsPerPage { get; set; }
}

internal sealed class ChannelListResponse
{
    public string? Etag { get; set; }

    public PageInfo? PageInfo { get; set; }

    public IReadOnlyList<ChannelItem>? Items { get; set; }
}

internal sealed class ChannelItem
{
    public string? Id { get; set; }

    public string? Etag { get; set; }

    public ChannelSnippet? Snippet { get; set; }

    public ChannelContentDetails? ContentDetails { get; set; }
}

internal sealed class ChannelSnippet
{
    public string? Title { get; set; }

    public string? CustomUrl { get; set; }
}

internal sealed class ChannelContentDetails
{
    public RelatedPlaylists? RelatedPlaylists { get; set; }
}

internal sealed class RelatedPlaylists
{
    public string? Uploads { get; set; }
}

internal sealed class PlaylistItemListResponse
{
    public string? Etag { get; set; }

    public string? NextPageToken { get; set; }

    public PageInfo? PageInfo { get; set; }

    public IReadOnlyList<PlaylistItem>? Items { get; set; }
}

internal sealed class PlaylistItem
{
    public PlaylistItemSnippet? Snippet { get; set; }

    public PlaylistItemContentDetails? ContentDetails { get; set; }
}

internal sealed class PlaylistItemSnippet
{
    public DateTimeOffset? PublishedAt { get; set; }

    public string? Title { get; set; }

    public int? Position { get; set; }

    public ResourceId? ResourceId { get; set; }

    public string? VideoOwnerChannelId { get; set; }

    public string? VideoOwnerChannelTitle { get; set; }
}

internal sealed class ResourceId
{
    public string? Kind { get; set; }

    public string? VideoId { get; set; }
}

internal sealed class PlaylistItemContentDetails
{
    public string? VideoId { get; set; }

    public DateTimeOffset? VideoPublishedAt { get; set; }
}

internal sealed class VideoListResponse
{
    public string? Etag { get; set; }

    public IReadOnlyList<VideoItem>? Items { get; set; }
}

internal sealed class VideoItem
{
    public string? Id { get; set; }

    public string? Etag { get; set; }

    public VideoSnippet? Snippet { get; set; }

    public VideoContentDetails? ContentDetails { get; set; }

    public VideoStatistics? Statistics { get; set; }
}

internal sealed class VideoSnippet
{
    public DateTimeOffset? PublishedAt { get; set; }

    public string? ChannelId { get; set; }

    public string? Title { get; set; }

    public string? ChannelTitle { get; set; }
}

internal sealed class VideoContentDetails
{
    public string? Duration { get; set; }
}

internal sealed class VideoStatistics
{
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? ViewCount { get; set; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? LikeCount { get; set; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long? CommentCount { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChannelListResponse))]
[JsonSerializable(typeof(PlaylistItemListResponse))]
[JsonSerializable(typeof(VideoListResponse))]
internal sealed partial class YouTubeJson : JsonSerializerContext;
