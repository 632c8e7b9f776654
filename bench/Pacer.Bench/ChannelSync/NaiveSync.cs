using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Xml;
using CsvHelper;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// The naive side: what a first sync script looks like. One channel at a time, one call at a time, on a plain
/// <see cref="HttpClient"/>: channels.list for the uploads playlist, then each page of 50 uploads followed by videos.list
/// for that page's ids, the page's rows appended to the CSV at once. No cache (no If-None-Match), no retries, no
/// concurrency. Dedup as such scripts do it: a run starts by reading the ids already in the file, and appends only ids
/// not seen; so the incremental run fetches everything again and appends only the new videos.
/// </summary>
internal static class NaiveSync
{
    private const string Key = "naive-bench";

    private static readonly CsvWriterOptions WriteOptions = CsvWriterOptions.Default with { NewLine = "\r\n", Quoting = CsvQuoting.WhenNeeded };

    public static readonly string[] Header =
        ["video_id", "title", "published_at", "duration_seconds", "duration_iso", "views", "likes", "comments", "channel_id", "channel_title", "url", "first_seen_at"];

    public static string Settings =>
        "A plain sequential loop on one HttpClient (keep-alive, no Pacer): per channel, channels.list, then for each page of " +
        "playlistItems.list (maxResults 50) one videos.list of its ids, the page's rows appended to videos.csv right away " +
        "(open, append, close; no fsync). No cache, no retries. Dedup: a run first reads the ids already in the file and " +
        "appends only ids it has not seen, so the incremental run re-fetches everything and appends only the new videos.";

    public static async Task<SyncChildResult> RunAsync(Uri api, string directory, IReadOnlyList<string> channels, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var csv = Path.Combine(directory, "videos.csv");
        var seen = File.Exists(csv) ? CsvCheck.ReadKeys(csv).ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);
        using var http = new HttpClient { BaseAddress = api };
        var synced = 0;
        foreach (var channelId in channels)
        {
            using var channel = await GetAsync(http, $"youtube/v3/channels?part=snippet,contentDetails&id={channelId}&key={Key}", cancellationToken);
            if (!channel.RootElement.TryGetProperty("items", out var items) || items.GetArrayLength() == 0)
                continue;
            var uploads = items[0].GetProperty("contentDetails").GetProperty("relatedPlaylists").GetProperty("uploads").GetString()!;
            string? pageToken = null;
            do
            {
                var url = $"youtube/v3/playlistItems?part=snippet,contentDetails&maxResults=50&playlistId={uploads}&key={Key}"
                    + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
                using var page = await GetAsync(http, url, cancellationToken);
                var ids = page.RootElement.GetProperty("items").EnumerateArray()
                    .Select(item => item.GetProperty("contentDetails").GetProperty("videoId").GetString()!)
                    .ToArray();
                if (ids.Length > 0)
                {
                    using var videos = await GetAsync(http, $"youtube/v3/videos?part=snippet,statistics,contentDetails&id={string.Join(',', ids)}&key={Key}", cancellationToken);
                    var now = TimeProvider.System.GetUtcNow();
                    var rows = videos.RootElement.GetProperty("items").EnumerateArray()
                        .Select(video => Row(video, now))
                        .Where(row => seen.Add(row[0]!))
                        .ToArray();
                    Append(csv, rows);
                }
                pageToken = page.RootElement.TryGetProperty("nextPageToken", out var next) ? next.GetString() : null;
            }
            while (pageToken is not null);
            synced++;
        }
        return new SyncChildResult
        {
            SyncSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            PeakRssBytes = ChildProcess.PeakRssBytes(),
            CpuSeconds = ChildProcess.CpuSeconds(),
            Channels = channels.Count,
            ChannelsSynced = synced,
        };
    }

    private static async Task<JsonDocument> GetAsync(HttpClient http, string url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
    }

    private static string?[] Row(JsonElement video, DateTimeOffset now)
    {
        var id = video.GetProperty("id").GetString()!;
        var snippet = video.GetProperty("snippet");
        var duration = video.GetProperty("contentDetails").GetProperty("duration").GetString();
        var statistics = video.GetProperty("statistics");
        return
        [
            id,
            snippet.GetProperty("title").GetString(),
            snippet.GetProperty("publishedAt").GetString(),
            duration is null ? null : ((long)XmlConvert.ToTimeSpan(duration).TotalSeconds).ToString(CultureInfo.InvariantCulture),
            duration,
            Count(statistics, "viewCount"),
            Count(statistics, "likeCount"),
            Count(statistics, "commentCount"),
            snippet.GetProperty("channelId").GetString(),
            snippet.GetProperty("channelTitle").GetString(),
            "https://www.youtube.com/watch?v=" + id,
            now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ];
    }

    private static string? Count(JsonElement statistics, string name) =>
        statistics.TryGetProperty(name, out var value) && long.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var count)
            ? count.ToString(CultureInfo.InvariantCulture)
            : null;

    /// <summary>Appends rows as a script does: open the file, write (the header first if it is new), close.</summary>
    private static void Append(string path, string?[][] rows)
    {
        var isNew = !File.Exists(path) || new FileInfo(path).Length == 0;
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var csv = CsvWriter.Create(stream, WriteOptions, leaveOpen: true);
        if (isNew)
        {
            foreach (var name in Header)
                csv.WriteField(name);
            csv.EndRecord();
        }
        foreach (var row in rows)
        {
            foreach (var value in row)
                csv.WriteField(value ?? "");
            csv.EndRecord();
        }
        csv.Flush();
    }
}
