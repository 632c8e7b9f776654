using System.Text.Json.Serialization;

namespace Pacer.YouTube;

// The client's own reading of YouTube Data API v3 bodies (shared with nothing, the emulator least of all): only the
// fields the client uses, every one optional, so a field YouTube leaves out (private videos, hidden counts) is a null,
// not a failure. Statistics are strings in the API ("136528"); they are read as numbers from those strings.

internal sealed record PageInfo(int? TotalResults, int? ResultsPerPage);

internal sealed record ChannelListResponse(string? Etag, PageInfo? PageInfo, IReadOnlyList<ChannelItem>? Items);

internal sealed record ChannelItem(string? Id, string? Etag, ChannelSnippet? Snippet, ChannelContentDetails? ContentDetails);

internal sealed record ChannelSnippet(string? Title, string? CustomUrl);

internal sealed record ChannelContentDetails(RelatedPlaylists? RelatedPlaylists);

internal sealed record RelatedPlaylists(string? Uploads);

internal sealed record PlaylistItemListResponse(string? Etag, string? NextPageToken, PageInfo? PageInfo, IReadOnlyList<PlaylistItem>? Items);

internal sealed record PlaylistItem(string? Etag, PlaylistItemSnippet? Snippet, PlaylistItemContentDetails? ContentDetails);

internal sealed record PlaylistItemSnippet(
    DateTimeOffset? PublishedAt,
    string? Title,
    int? Position,
    ResourceId? ResourceId,
    string? VideoOwnerChannelId,
    string? VideoOwnerChannelTitle);

internal sealed record ResourceId(string? Kind, string? VideoId);

internal sealed record PlaylistItemContentDetails(string? VideoId, DateTimeOffset? VideoPublishedAt);

internal sealed record VideoListResponse(string? Etag, IReadOnlyList<VideoItem>? Items);

internal sealed record VideoItem(string? Id, string? Etag, VideoSnippet? Snippet, VideoContentDetails? ContentDetails, VideoStatistics? Statistics);

internal sealed record VideoSnippet(DateTimeOffset? PublishedAt, string? ChannelId, string? Title, string? ChannelTitle);

internal sealed record VideoContentDetails(string? Duration);

internal sealed record VideoStatistics(
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? ViewCount,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? LikeCount,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? CommentCount);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChannelListResponse))]
[JsonSerializable(typeof(PlaylistItemListResponse))]
[JsonSerializable(typeof(VideoListResponse))]
internal sealed partial class YouTubeJson : JsonSerializerContext;
