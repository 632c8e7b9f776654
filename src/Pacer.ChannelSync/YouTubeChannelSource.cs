using Pacer.YouTube;

namespace Pacer.ChannelSync;

/// <summary>The recipe's view of YouTube, over the typed client (every call charged to the youtube resource there).</summary>
internal sealed class YouTubeChannelSource(IYouTubeClient client) : IChannelSource
{
    private const int ChannelsPerCall = 50;

    /// <summary>Lookups in flight at once while resolving: one after the other, the 20 calls for 1,000 ids take 20 round trips.</summary>
    private const int ConcurrentLookups = 10;

    public async Task<ResolvedChannels> ResolveAsync(IReadOnlyList<ChannelRef> channels, CancellationToken cancellationToken)
    {
        // One call per 50 ids and one per handle or username, several at a time; the answers keep the order asked.
        var lookups = channels.Where(c => c.Kind == ChannelRefKind.Id).Chunk(ChannelsPerCall)
            .Concat(channels.Where(c => c.Kind != ChannelRefKind.Id).Select(c => new[] { c }))
            .ToArray();
        var answers = new YouTubeChannel?[lookups.Length][];
        await Parallel.ForEachAsync(Enumerable.Range(0, lookups.Length),
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentLookups, CancellationToken = cancellationToken },
            async (i, ct) => answers[i] = await LookUpAsync(lookups[i], ct));

        var found = new List<ResolvedChannel>();
        var unknown = new List<ChannelRef>();
        for (var i = 0; i < lookups.Length; i++)
        {
            for (var j = 0; j < lookups[i].Length; j++)
            {
                if (answers[i][j]?.UploadsPlaylistId is { } uploads)
                    found.Add(new ResolvedChannel(lookups[i][j], answers[i][j]!.Id, answers[i][j]!.Title, uploads));
                else
                    unknown.Add(lookups[i][j]);
            }
        }
        // The same channel named twice (by id and by handle) is synced once.
        return new ResolvedChannels([.. found.DistinctBy(c => c.ChannelId, StringComparer.Ordinal)], unknown);
    }

    /// <summary>One call: up to 50 channel ids, or one handle, username or <c>mine</c>. The answers line up with <paramref name="refs"/>; null: not found.</summary>
    private async Task<YouTubeChannel?[]> LookUpAsync(ChannelRef[] refs, CancellationToken cancellationToken)
    {
        if (refs[0].Kind == ChannelRefKind.Id)
        {
            var lookup = await client.GetChannelsAsync(refs.Select(c => c.Value), cancellationToken);
            var answered = lookup.Found.ToDictionary(c => c.Id, StringComparer.Ordinal);
            return [.. refs.Select(c => answered.GetValueOrDefault(c.Value))];
        }
        var channel = refs[0];
        return
        [
            channel.Kind switch
            {
                ChannelRefKind.Handle => await client.GetChannelByHandleAsync(channel.Value, cancellationToken),
                ChannelRefKind.Mine => await client.GetMyChannelAsync(cancellationToken),
                _ => await client.GetChannelByUsernameAsync(channel.Value, cancellationToken),
            },
        ];
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
        return new UploadsPage([.. page.Items.Select(v => new UploadItem(v.VideoId, v.Title, v.PublishedAt ?? v.AddedAt))], page.NextPageToken, page.FromCache, page.TotalResults);
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
