using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.YouTube;

/// <summary>
/// The channels and videos, generated from the seed alone. Readers take lock-free snapshots (a channel's state is
/// replaced whole); changes are made under a lock and draw their choices from a seeded stream of their own, so the
/// same sequence of changes gives the same data in every run.
/// </summary>
internal sealed class YouTubeDataSet
{
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // A channel id's 22 characters after "UC" carry 128 bits, a video id's 11 carry 64: the last character only takes these.
    private const string ChannelIdLastChars = "AQgw";
    private const string VideoIdLastChars = "AEIMQUYcgkosw048";
    private static readonly TimeSpan NewUploadSpacing = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly ChannelState[] _channels;
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byHandle = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _byUsername = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Video> _videos = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private SeededRandom _changes;

    public YouTubeDataSet(YouTubeEmulatorOptions options)
    {
        _time = options.TimeProvider;
        _changes = new SeededRandom(options.Seed, stream: 0xC4A9_6E00UL);
        _channels = new ChannelState[options.ChannelCount];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < options.ChannelCount; index++)
        {
            var random = new SeededRandom(options.Seed, stream: (ulong)index + 1);
            var channel = NewChannel(index, options.DataEpoch, ref random, ids);
            var count = random.Next(options.MinVideosPerChannel, options.MaxVideosPerChannel + 1);
            var uploads = ImmutableArray.CreateBuilder<Video>(count);
            var span = options.DataEpoch - channel.PublishedAt;
            var gap = span / Math.Max(1, count);
            var published = options.DataEpoch - TimeSpan.FromMinutes(random.Next(5, 2 * 24 * 60));
            for (var n = 0; n < count; n++)
            {
                var video = NewVideo(channel, published, ref random, ids);
                uploads.Add(video);
                _videos[video.Id] = video;
                published -= gap * (0.2 + 1.6 * random.NextDouble());
            }
            _channels[index] = new ChannelState(channel, uploads.MoveToImmutable(), Version: 1);
            _byId[channel.Id] = index;
            _byHandle[channel.Handle] = index;
            _byUsername[channel.Username] = index;
        }
    }

    public int ChannelCount => _channels.Length;

    public ChannelState Channel(int index) => Volatile.Read(ref _channels[index]);

    public ChannelState? FindById(string id) => _byId.TryGetValue(id, out var index) ? Channel(index) : null;

    /// <summary>By handle, with or without the leading <c>@</c>, ignoring case.</summary>
    public ChannelState? FindByHandle(string handle) =>
        _byHandle.TryGetValue(handle.StartsWith('@') ? handle : "@" + handle, out var index) ? Channel(index) : null;

    public ChannelState? FindByUsername(string username) => _byUsername.TryGetValue(username, out var index) ? Channel(index) : null;

    /// <summary>The channel whose uploads playlist this is (<c>UU...</c> of <c>UC...</c>).</summary>
    public ChannelState? FindByUploadsPlaylist(string playlistId) =>
        playlistId.Length > 2 && playlistId.StartsWith("UU", StringComparison.Ordinal) ? FindById("UC" + playlistId[2..]) : null;

    public Video? FindVideo(string id) => _videos.GetValueOrDefault(id);

    public IEnumerable<ChannelState> Channels()
    {
        for (var index = 0; index < _channels.Length; index++)
            yield return Channel(index);
    }

    /// <summary>Gives <paramref name="count"/> new uploads to round(share x channels) channels picked by the seed; returns their ids.</summary>
    public IReadOnlyList<string> AddUploads(double channelShare, int count)
    {
        lock (_gate)
        {
            var picked = PickDistinct((int)Math.Round(channelShare * _channels.Length), _channels.Length);
            foreach (var index in picked)
                AddUploadsLocked(index, count);
            return [.. picked.Select(index => _channels[index].Channel.Id)];
        }
    }

    /// <summary>Gives one channel <paramref name="count"/> new uploads; returns the new video ids, newest first.</summary>
    public IReadOnlyList<string> AddUploads(string channelId, int count)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(channelId, out var index))
                throw new ArgumentException($"No channel '{channelId}' in this data set.", nameof(channelId));
            return AddUploadsLocked(index, count);
        }
    }

    /// <summary>Raises the statistics of round(share x videos) videos picked by the seed; returns their ids.</summary>
    public IReadOnlyList<string> ChangeStatistics(double videoShare)
    {
        lock (_gate)
        {
            var all = _channels.SelectMany(c => c.Uploads).Select(v => v.Id).Order(StringComparer.Ordinal).ToArray();
            var picked = PickDistinct((int)Math.Round(videoShare * all.Length), all.Length);
            var ids = picked.Select(i => all[i]).ToArray();
            foreach (var id in ids)
                ChangeStatisticsLocked(id);
            return ids;
        }
    }

    /// <summary>Raises one video's statistics.</summary>
    public void ChangeStatistics(string videoId)
    {
        lock (_gate)
        {
            if (!_videos.ContainsKey(videoId))
                throw new ArgumentException($"No video '{videoId}' in this data set.", nameof(videoId));
            ChangeStatisticsLocked(videoId);
        }
    }

    private List<string> AddUploadsLocked(int index, int count)
    {
        var state = _channels[index];
        var published = _time.GetUtcNow();
        if (state.Uploads.Length > 0 && published <= state.Uploads[0].PublishedAt)
            published = state.Uploads[0].PublishedAt + NewUploadSpacing;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var added = new List<Video>(count);
        for (var n = 0; n < count; n++)
        {
            Video video;
            do
            {
                video = NewVideo(state.Channel, published, ref _changes, ids);
            }
            while (_videos.ContainsKey(video.Id));
            added.Add(video);
            published += NewUploadSpacing;
        }
        // Newest first: the last one made is the newest.
        added.Reverse();
        foreach (var video in added)
            _videos[video.Id] = video;
        Volatile.Write(ref _channels[index], state with { Uploads = state.Uploads.InsertRange(0, added), Version = state.Version + 1 });
        return [.. added.Select(v => v.Id)];
    }

    private void ChangeStatisticsLocked(string videoId)
    {
        var video = _videos[videoId];
        var views = video.Views + 1 + (long)(video.Views * 0.1 * _changes.NextDouble());
        var changed = video with
        {
            Views = views,
            Likes = video.Likes + (long)((views - video.Views) * 0.04 * _changes.NextDouble()),
            Comments = video.Comments + _changes.Next(0, 3),
            Version = video.Version + 1,
        };
        _videos[videoId] = changed;
        var state = _channels[video.ChannelIndex];
        var position = state.Uploads.IndexOf(video);
        Volatile.Write(ref _channels[video.ChannelIndex], state with { Uploads = state.Uploads.SetItem(position, changed), Version = state.Version + 1 });
    }

    /// <summary><paramref name="count"/> distinct indexes below <paramref name="total"/>, in ascending order (partial Fisher-Yates).</summary>
    private int[] PickDistinct(int count, int total)
    {
        count = Math.Clamp(count, 0, total);
        var indexes = Enumerable.Range(0, total).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = _changes.Next(i, total);
            (indexes[i], indexes[j]) = (indexes[j], indexes[i]);
        }
        return [.. indexes.Take(count).Order()];
    }

    private static Channel NewChannel(int index, DateTimeOffset epoch, ref SeededRandom random, HashSet<string> ids)
    {
        var id = NewId("UC", 22, ChannelIdLastChars, ref random, ids);
        var adjective = random.Pick(YouTubeNames.Adjectives);
        var noun = random.Pick(YouTubeNames.Nouns);
        var topic = random.Pick(YouTubeNames.Topics);
        var number = index.ToString(CultureInfo.InvariantCulture);
        var title = $"{adjective} {noun}";
        return new Channel(
            index,
            id,
            title,
            $"{title}: {topic} videos, new ones most weeks.",
            Handle: "@" + (adjective + noun).ToLowerInvariant() + number,
            Username: adjective + noun + number,
            PublishedAt: epoch - TimeSpan.FromDays(random.Next(365, 12 * 365)) - TimeSpan.FromSeconds(random.Next(0, 86_400)),
            Subscribers: (long)Math.Exp(Math.Log(100) + random.NextDouble() * (Math.Log(5_000_000) - Math.Log(100))),
            topic);
    }

    private static Video NewVideo(Channel channel, DateTimeOffset published, ref SeededRandom random, HashSet<string> ids)
    {
        var id = NewId("", 11, VideoIdLastChars, ref random, ids);
        var template = random.Pick(YouTubeNames.VideoTemplates);
        var title = string.Format(CultureInfo.InvariantCulture, template, channel.Topic, random.Next(2, 31), random.Pick(YouTubeNames.Adjectives).ToLowerInvariant());
        var kind = random.NextDouble();
        // Mostly 3-20 minute videos, some long streams, some shorts.
        var duration = kind < 0.1 ? random.Next(15, 60) : kind < 0.8 ? random.Next(180, 1200) : random.Next(1200, 4 * 3600);
        var views = (long)Math.Exp(Math.Log(50) + random.NextDouble() * (Math.Log(5_000_000) - Math.Log(50)));
        return new Video(
            id,
            channel.Index,
            title[..1].ToUpperInvariant() + title[1..],
            new DateTimeOffset(published.Ticks - published.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero),
            duration,
            views,
            Likes: (long)(views * (0.005 + 0.055 * random.NextDouble())),
            Comments: (long)(views * (0.0005 + 0.0045 * random.NextDouble())),
            Version: 1);
    }

    private static string NewId(string prefix, int length, string lastChars, ref SeededRandom random, HashSet<string> taken)
    {
        Span<char> chars = stackalloc char[length];
        string id;
        do
        {
            for (var i = 0; i < length - 1; i++)
                chars[i] = IdAlphabet[random.Next(0, IdAlphabet.Length)];
            chars[^1] = lastChars[random.Next(0, lastChars.Length)];
            id = prefix + new string(chars);
        }
        while (!taken.Add(id));
        return id;
    }
}
