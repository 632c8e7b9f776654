namespace Pacer.Emulators.YouTube;

// The JSON of YouTube Data API v3 resources, as documented. The emulator's own types: clients must not share them.

internal sealed record ListResponse<T>(
    string Kind,
    string Etag,
    string? NextPageToken,
    string? PrevPageToken,
    PageInfo PageInfo,
    IReadOnlyList<T>? Items);

internal sealed record PageInfo(int TotalResults, int ResultsPerPage);

internal sealed record Thumbnail(string Url, int Width, int Height);

internal sealed record Thumbnails(Thumbnail Default, Thumbnail Medium, Thumbnail High, Thumbnail? Standard = null, Thumbnail? Maxres = null);

internal sealed record Localized(string Title, string Description);

internal sealed record ChannelResource(
    string Kind,
    string Etag,
    string Id,
    ChannelSnippet? Snippet,
    ChannelContentDetails? ContentDetails,
    ChannelStatistics? Statistics);

internal sealed record ChannelSnippet(
    string Title,
    string Description,
    string CustomUrl,
    string PublishedAt,
    Thumbnails Thumbnails,
    Localized Localized);

internal sealed record ChannelContentDetails(RelatedPlaylists RelatedPlaylists);

internal sealed record RelatedPlaylists(string Likes, string Uploads);

internal sealed record ChannelStatistics(string ViewCount, string SubscriberCount, bool HiddenSubscriberCount, string VideoCount);

internal sealed record PlaylistItemResource(
    string Kind,
    string Etag,
    string Id,
    PlaylistItemSnippet? Snippet,
    PlaylistItemContentDetails? ContentDetails,
    PlaylistItemStatus? Status);

internal sealed record PlaylistItemSnippet(
    string PublishedAt,
    string ChannelId,
    string Title,
    string Description,
    Thumbnails Thumbnails,
    string ChannelTitle,
    string PlaylistId,
    int Position,
    ResourceId ResourceId,
    string VideoOwnerChannelTitle,
    string VideoOwnerChannelId);

internal sealed record ResourceId(string Kind, string VideoId);

internal sealed record PlaylistItemContentDetails(string VideoId, string VideoPublishedAt);

internal sealed record PlaylistItemStatus(string PrivacyStatus);

internal sealed record VideoResource(
    string Kind,
    string Etag,
    string Id,
    VideoSnippet? Snippet,
    VideoContentDetails? ContentDetails,
    VideoStatistics? Statistics,
    VideoStatus? Status);

internal sealed record VideoSnippet(
    string PublishedAt,
    string ChannelId,
    string Title,
    string Description,
    Thumbnails Thumbnails,
    string ChannelTitle,
    string CategoryId,
    string LiveBroadcastContent,
    Localized Localized);

internal sealed record VideoContentDetails(
    string Duration,
    string Dimension,
    string Definition,
    string Caption,
    bool LicensedContent,
    IReadOnlyDictionary<string, string> ContentRating,
    string Projection);

/// <summary>Counts are strings in the real API (64-bit values in JSON), and so here.</summary>
internal sealed record VideoStatistics(string ViewCount, string LikeCount, string FavoriteCount, string CommentCount);

internal sealed record VideoStatus(string UploadStatus, string PrivacyStatus, string License, bool Embeddable, bool PublicStatsViewable, bool MadeForKids);

internal sealed record SearchResultResource(string Kind, string Etag, SearchResultId Id, SearchResultSnippet? Snippet);

internal sealed record SearchResultId(string Kind, string VideoId);

internal sealed record SearchResultSnippet(
    string PublishedAt,
    string ChannelId,
    string Title,
    string Description,
    Thumbnails Thumbnails,
    string ChannelTitle,
    string LiveBroadcastContent,
    string PublishTime);
