using System.Collections.Immutable;

namespace Pacer.Emulators.YouTube;

internal sealed record Channel(
    int Index,
    string Id,
    string Title,
    string Description,
    string Handle,
    string Username,
    DateTimeOffset PublishedAt,
    long Subscribers,
    string Topic)
{
    /// <summary>The uploads playlist: the channel id with <c>UC</c> replaced by <c>UU</c>.</summary>
    public string UploadsPlaylistId => "UU" + Id[2..];
}

/// <summary>A video; replaced, never changed, so a reader's snapshot stays consistent. <see cref="Version"/> counts its changes.</summary>
internal sealed record Video(
    string Id,
    int ChannelIndex,
    string Title,
    DateTimeOffset PublishedAt,
    int DurationSeconds,
    long Views,
    long Likes,
    long Comments,
    int Version);

/// <summary>A channel and its uploads, newest first (index = playlist position). <see cref="Version"/> counts changes to either.</summary>
internal sealed record ChannelState(Channel Channel, ImmutableArray<Video> Uploads, int Version);
