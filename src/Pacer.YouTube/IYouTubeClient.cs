namespace Pacer.YouTube;

/// <summary>
/// The YouTube Data API v3 calls a channel sync needs. Every call is charged to the <c>youtube</c> resource (1 unit with
/// the classic table, repeated attempts included) and paced by it; GETs are conditional (<c>If-None-Match</c>), and an
/// unchanged answer is served from Pacer's store (<see cref="YouTubeChannel.FromCache"/> and friends say so). Thread-safe;
/// resolve it from DI (<c>services.AddYouTube(...)</c>).
/// </summary>
/// <remarks>
/// Errors: a used-up quota or a 429 throws <see cref="ResourceUnavailableException"/> (in a job, the job waits for the
/// resource without using an attempt); a refused credential or a bad request throws <see cref="YouTubeRequestException"/>,
/// a <see cref="PermanentJobException"/>; a server error that outlasted the retries throws <see cref="HttpRequestException"/>
/// and a call that timed out every attempt <see cref="TimeoutException"/> (both worth trying again later).
/// </remarks>
public interface IYouTubeClient
{
    /// <summary>
    /// Looks channels up by id (<c>channels.list part=snippet,contentDetails</c>), up to 50 per call. Ids YouTube does not
    /// know are listed in <see cref="YouTubeLookup{T}.Missing"/>, whether it says so with an empty list or with a 400.
    /// </summary>
    Task<YouTubeLookup<YouTubeChannel>> GetChannelsAsync(IEnumerable<string> channelIds, CancellationToken cancellationToken = default);

    /// <summary>Looks a channel up by its handle (<c>@name</c>, the <c>@</c> optional), one call; null when there is none.</summary>
    Task<YouTubeChannel?> GetChannelByHandleAsync(string handle, CancellationToken cancellationToken = default);

    /// <summary>Looks a channel up by its legacy username (<c>forUsername</c>), one call; null when there is none.</summary>
    Task<YouTubeChannel?> GetChannelByUsernameAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>
    /// The channel of the user the OAuth credential is for (<c>mine=true</c>), one call; null when the user has none.
    /// With an API key there is no user: <see cref="YouTubeRequestException"/>, before anything is sent.
    /// </summary>
    Task<YouTubeChannel?> GetMyChannelAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// One page (up to 50 items) of a playlist, such as a channel's uploads (<see cref="YouTubeChannel.UploadsPlaylistId"/>):
    /// <c>playlistItems.list part=snippet,contentDetails maxResults=50</c>. Pass the previous page's
    /// <see cref="PlaylistPage.NextPageToken"/> for the next one; the last page has none.
    /// </summary>
    Task<PlaylistPage> GetPlaylistPageAsync(string playlistId, string? pageToken = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Videos with their statistics and durations (<c>videos.list part=snippet,statistics,contentDetails</c>), up to 50 ids
    /// per call. Ids YouTube does not return (deleted, private) are listed in <see cref="YouTubeLookup{T}.Missing"/>.
    /// </summary>
    Task<YouTubeLookup<YouTubeVideo>> GetVideosAsync(IEnumerable<string> videoIds, CancellationToken cancellationToken = default);
}

/// <summary>What a lookup by ids found, in the order asked, and the ids it did not find.</summary>
public sealed record YouTubeLookup<T>(IReadOnlyList<T> Found, IReadOnlyList<string> Missing);

/// <summary>A channel.</summary>
/// <param name="Handle">The channel's handle (<c>snippet.customUrl</c>, e.g. <c>@googledevelopers</c>), if it has one.</param>
/// <param name="UploadsPlaylistId">The playlist of its uploads (<c>UU...</c>); null only if YouTube left it out.</param>
/// <param name="ETag">The channel resource's etag.</param>
/// <param name="FromCache">True when YouTube answered 304 Not Modified and the stored answer was used.</param>
public sealed record YouTubeChannel(string Id, string Title, string? Handle, string? UploadsPlaylistId, string? ETag, bool FromCache);

/// <summary>One page of a playlist.</summary>
/// <param name="TotalResults">What YouTube says the whole playlist holds (<c>pageInfo.totalResults</c>).</param>
/// <param name="ETag">The page's etag.</param>
/// <param name="FromCache">True when YouTube answered 304 Not Modified and the stored page was used.</param>
public sealed record PlaylistPage(
    string PlaylistId,
    IReadOnlyList<PlaylistVideo> Items,
    string? NextPageToken,
    int TotalResults,
    string? ETag,
    bool FromCache);

/// <summary>A video as a playlist lists it. Private and deleted videos have no owner and no publication time.</summary>
/// <param name="PublishedAt">When the video was published (<c>contentDetails.videoPublishedAt</c>).</param>
/// <param name="AddedAt">When it was added to the playlist (<c>snippet.publishedAt</c>).</param>
/// <param name="ChannelId">The video's owner (<c>snippet.videoOwnerChannelId</c>).</param>
/// <param name="Position">Its place in the playlist, from 0.</param>
public sealed record PlaylistVideo(
    string VideoId,
    string Title,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? AddedAt,
    string? ChannelId,
    string? ChannelTitle,
    int? Position)
{
    public string Url => YouTubeVideo.WatchUrl(VideoId);
}

/// <summary>A video with its statistics.</summary>
/// <param name="Duration">The duration as YouTube writes it, ISO 8601 (<c>PT15M51S</c>; <c>P0D</c> for a live or upcoming stream).</param>
/// <param name="DurationSeconds"><see cref="Duration"/> in seconds; null when absent or not a duration.</param>
/// <param name="Views">View count; null when YouTube does not show it.</param>
/// <param name="Likes">Like count; null when the owner hides it.</param>
/// <param name="Comments">Comment count; null when comments are off.</param>
/// <param name="ETag">The video resource's etag.</param>
/// <param name="FromCache">True when YouTube answered 304 Not Modified and the stored answer was used.</param>
public sealed record YouTubeVideo(
    string Id,
    string Title,
    string? ChannelId,
    string? ChannelTitle,
    DateTimeOffset? PublishedAt,
    string? Duration,
    long? DurationSeconds,
    long? Views,
    long? Likes,
    long? Comments,
    string? ETag,
    bool FromCache)
{
    /// <summary>The watch page: <c>https://www.youtube.com/watch?v=ID</c>.</summary>
    public string Url => WatchUrl(Id);

    internal static string WatchUrl(string videoId) => "https://www.youtube.com/watch?v=" + Uri.EscapeDataString(videoId);
}
