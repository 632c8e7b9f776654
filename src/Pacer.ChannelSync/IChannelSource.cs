namespace Pacer.ChannelSync;

/// <summary>What channel sync needs from YouTube, in the recipe's own words (an adapter over the typed client).</summary>
internal interface IChannelSource
{
    /// <summary>Resolves channels to their uploads playlists: ids in batches, handles and usernames one call each.</summary>
    Task<ResolvedChannels> ResolveAsync(IReadOnlyList<ChannelRef> channels, CancellationToken cancellationToken);

    /// <summary>One page (up to 50) of an uploads playlist, newest first.</summary>
    Task<UploadsPage> GetUploadsPageAsync(string playlistId, string? pageToken, CancellationToken cancellationToken);

    /// <summary>Details of up to 50 videos; videos that no longer exist are missing from the result.</summary>
    Task<IReadOnlyList<VideoDetails>> GetVideosAsync(IReadOnlyList<string> videoIds, CancellationToken cancellationToken);
}

internal sealed record ResolvedChannel(ChannelRef Ref, string ChannelId, string Title, string UploadsPlaylistId);

internal sealed record ResolvedChannels(IReadOnlyList<ResolvedChannel> Found, IReadOnlyList<ChannelRef> Unknown);

internal sealed record UploadItem(string VideoId, string Title, DateTimeOffset? PublishedAt);

/// <param name="TotalResults">What the playlist holds in all (<c>pageInfo.totalResults</c>).</param>
internal sealed record UploadsPage(IReadOnlyList<UploadItem> Items, string? NextPageToken, bool FromCache, int TotalResults);

internal sealed record VideoDetails(
    string VideoId,
    string Title,
    DateTimeOffset? PublishedAt,
    long? DurationSeconds,
    string? DurationIso,
    long? Views,
    long? Likes,
    long? Comments,
    string ChannelId,
    string ChannelTitle);
