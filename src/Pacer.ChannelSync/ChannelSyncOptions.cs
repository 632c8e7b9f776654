namespace Pacer.ChannelSync;

/// <summary>Settings of the channel-sync recipe.</summary>
public sealed class ChannelSyncOptions
{
    /// <summary>The resource YouTube calls are charged to (as given to <c>AddYouTube</c>). Default <c>youtube</c>.</summary>
    public string YouTubeResource { get; set; } = "youtube";

    /// <summary>The queue the recipe's jobs go to. Default <c>default</c>.</summary>
    public string Queue { get; set; } = "default";
}
