using System.ComponentModel.DataAnnotations;

namespace Pacer.Emulators;

/// <summary>How an unknown channel id, handle or username is answered by <c>channels.list</c>.</summary>
public enum YouTubeUnknownChannel
{
    /// <summary>200 with no <c>items</c> key and <c>pageInfo.totalResults</c> 0 (the documented, long-standing behaviour).</summary>
    EmptyList,

    /// <summary>400 <c>channelNotFound</c> (reported in 2026; unconfirmed by documentation).</summary>
    BadRequest,
}

/// <summary>Options of <see cref="YouTubeEmulator"/>: the data set, credentials, etag behaviour and quota.</summary>
public sealed class YouTubeEmulatorOptions : GoogleEmulatorOptions, IValidatableObject
{
    /// <summary>The channel count of <see cref="Benchmark"/>.</summary>
    public const int BenchmarkChannelCount = 1000;

    /// <summary>Channels generated from <see cref="EmulatorOptions.Seed"/>. Default 32.</summary>
    [Range(0, 100_000)]
    public int ChannelCount { get; set; } = 32;

    /// <summary>Fewest uploads a generated channel has. Default 20.</summary>
    [Range(0, 20_000)]
    public int MinVideosPerChannel { get; set; } = 20;

    /// <summary>Most uploads a generated channel has. Default 500.</summary>
    [Range(0, 20_000)]
    public int MaxVideosPerChannel { get; set; } = 500;

    /// <summary>
    /// Generated videos are published before this instant, so data do not depend on when the emulator starts.
    /// Uploads added later are published at the clock's time (or just after the newest upload, whichever is later).
    /// Default 2026-01-01T00:00:00Z.
    /// </summary>
    public DateTimeOffset DataEpoch { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>API keys accepted in the <c>key</c> parameter. Empty (default): any non-empty key.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>
    /// OAuth tokens accepted as <c>Authorization: Bearer</c>, besides those the token endpoint issued (accepted until they
    /// expire). Empty (default): any non-empty token the endpoint did not issue.
    /// </summary>
    public IList<string> BearerTokens { get; } = [];


    /// <summary>What <c>channels.list</c> answers for channels it does not know. Default <see cref="YouTubeUnknownChannel.EmptyList"/>.</summary>
    public YouTubeUnknownChannel UnknownChannel { get; set; } = YouTubeUnknownChannel.EmptyList;

    /// <summary>
    /// Methods (<c>playlistItems.list</c>, <c>search.list</c>, ...) whose list responses carry a fresh etag on every
    /// call, so <c>If-None-Match</c> never yields 304, as has been observed of the real service. Empty (default): every
    /// method honours <c>If-None-Match</c>.
    /// </summary>
    public IList<string> FreshETagMethods { get; } = [];

    /// <summary>The daily quota and its cost table. Default <see cref="YouTubeQuotaOptions.Classic"/>.</summary>
    [Required]
    public YouTubeQuotaOptions Quota { get; set; } = YouTubeQuotaOptions.Classic();

    /// <summary>The 1,000-channel data set of the benchmarks (20 to 500 uploads each).</summary>
    public static YouTubeEmulatorOptions Benchmark() => new() { ChannelCount = BenchmarkChannelCount };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinVideosPerChannel > MaxVideosPerChannel)
            yield return new ValidationResult($"MinVideosPerChannel ({MinVideosPerChannel}) is above MaxVideosPerChannel ({MaxVideosPerChannel}).", [nameof(MinVideosPerChannel)]);
        foreach (var method in FreshETagMethods)
        {
            if (!YouTubeMethods.Lists.Contains(method))
                yield return new ValidationResult($"FreshETagMethods names '{method}'; known: {string.Join(", ", YouTubeMethods.Lists)}.", [nameof(FreshETagMethods)]);
        }
    }
}

/// <summary>
/// The daily quota: a shared budget of units, a cost per method, and optionally methods with a bucket of their own.
/// The day ends at midnight in <see cref="ResetTimeZone"/> (daylight saving included).
/// </summary>
public sealed class YouTubeQuotaOptions
{
    /// <summary>Units per day shared by every method without a bucket of its own. Default 10,000.</summary>
    [Range(0, long.MaxValue)]
    public long DailyBudget { get; set; } = 10_000;

    /// <summary>Units per call by method name (<c>channels.list</c>, <c>search.list</c>, ...); a method not listed costs 1.</summary>
    public IDictionary<string, int> Costs { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>Methods with their own daily number of calls, at one unit each, outside <see cref="DailyBudget"/>.</summary>
    public IDictionary<string, int> SeparateDailyCalls { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>Units charged for a 304 Not Modified (unconfirmed by documentation; reports say 1). Default 1.</summary>
    [Range(0, 100_000)]
    public int NotModifiedCost { get; set; } = 1;

    /// <summary>Where the quota day ends at midnight. Default America/Los_Angeles, as the real service.</summary>
    public TimeZoneInfo? ResetTimeZone { get; set; }

    /// <summary>The classic table: 10,000 units a day; list calls 1, <c>search.list</c> 100, <c>videos.insert</c> 1,600.</summary>
    public static YouTubeQuotaOptions Classic()
    {
        var options = new YouTubeQuotaOptions();
        options.Costs[YouTubeMethods.ChannelsList] = 1;
        options.Costs[YouTubeMethods.PlaylistItemsList] = 1;
        options.Costs[YouTubeMethods.VideosList] = 1;
        options.Costs[YouTubeMethods.SearchList] = 100;
        options.Costs[YouTubeMethods.VideosInsert] = 1600;
        return options;
    }

    /// <summary>The 2026 scheme: <c>search.list</c> and <c>videos.insert</c> have 100 calls a day each; the rest share 10,000 units.</summary>
    public static YouTubeQuotaOptions Buckets2026()
    {
        var options = new YouTubeQuotaOptions();
        options.Costs[YouTubeMethods.ChannelsList] = 1;
        options.Costs[YouTubeMethods.PlaylistItemsList] = 1;
        options.Costs[YouTubeMethods.VideosList] = 1;
        options.SeparateDailyCalls[YouTubeMethods.SearchList] = 100;
        options.SeparateDailyCalls[YouTubeMethods.VideosInsert] = 100;
        return options;
    }
}

/// <summary>Method names as the quota documentation and the counters spell them.</summary>
public static class YouTubeMethods
{
    public const string ChannelsList = "channels.list";
    public const string PlaylistItemsList = "playlistItems.list";
    public const string VideosList = "videos.list";
    public const string SearchList = "search.list";

    /// <summary>In the cost table only: the emulator does not implement uploads.</summary>
    public const string VideosInsert = "videos.insert";

    internal static readonly IReadOnlySet<string> Lists = new HashSet<string>(StringComparer.Ordinal)
    {
        ChannelsList, PlaylistItemsList, VideosList, SearchList,
    };
}
