using Pacer.YouTube;

namespace Pacer.ChannelSync;

/// <summary>The recipe's view of YouTube, over the typed client (every call charged to the youtube resource there).</summary>
internal sealed class YouTubeChannelSource(IYouTubeClient client) : IChannelSource
{
    private const int ChannelsPerCall = 50;

    public async Task<ResolvedChannels> ResolveAsync(IReadOnlyList<ChannelRef> channels, CancellationToken cancellationToken)
    {
        var found = new List<ResolvedChannel>();
        var unknown = new List<ChannelRef>();
        var byId = channels.Where(c => c.Kind == ChannelRefKind.Id).ToArray();
        foreach (var chunk in byId.Chunk(ChannelsPerCall))
        {
            var lookup = await client.GetChannelsAsync(chunk.Select(c => c.Value), cancellationToken);
            var answered = lookup.Found.ToDictionary(c => c.Id, StringComparer.Ordinal);
            foreach (var channel in chunk)
                Add(channel, answered.GetValueOrDefault(channel.Value));
        }
        foreach (var channel in channels.Where(c => c.Kind != ChannelRefKind.Id))
        {
            var answer = channel.Kind == ChannelRefKind.Handle
                ? await client.GetChannelByHandleAsync(channel.Value, cancellationToken)
                : await client.GetChannelByUsernameAsync(channel.Value, cancellationToken);
            Add(channel, answer);
        }
        // The same channel named twice (by id and by handle) is synced once.
        return new ResolvedChannels([.. found.DistinctBy(c => c.ChannelId, StringComparer.Ordinal)], unknown);

        void Add(ChannelRef channel, YouTubeChannel? answer)
        {
            if (answer?.UploadsPlaylistId is { } uploads)
                found.Add(new ResolvedChannel(channel, answer.Id, answer.Title, uploads));
            else
                unknown.Add(channel);
        }
    }

    /// <remarks>
    /// Only first pages go through the conditional-request cache. A later page is asked for only when the page before it
    /// held new videos, that is after uploads moved every position behind them, so its stored answer would never be
    /// revalidated: storing it would cost a write of its whole body, every time.
    /// </remarks>
    public async Task<UploadsPage> GetUploadsPageAsync(string playlistId, string? pageToken, CancellationToken cancellationToken)
    {
        using var bypass = pageToken is null ? null : PacerHttpCache.Bypass();
        var page = await client.GetPlaylistPageAsync(playlistId, pageToken, cancellationToken);
        return new UploadsPage([.. page.Items.Select(v => new UploadItem(v.VideoId, v.Title, v.PublishedAt ?? v.AddedAt))], page.NextPageToken, page.FromCache);
    }

    /// <remarks>Not cached: the recipe looks up only videos it has not written, so the same ids are not asked for again.</remarks>
    public async Task<IReadOnlyList<VideoDetails>> GetVideosAsync(IReadOnlyList<string> videoIds, CancellationToken cancellationToken)
    {
        using var bypass = PacerHttpCache.Bypass();
        var lookup = await client.GetVideosAsync(videoIds, cancellationToken);
        return [.. lookup.Found.Select(v => new VideoDetails(v.Id, v.Title, v.PublishedAt, v.DurationSeconds, v.Duration, v.Views, v.Likes, v.Comments,
            v.ChannelId ?? "", v.ChannelTitle ?? ""))];
    }
}
