using CsvHelper;

namespace Pacer.Bench.ChannelSync;

/// <summary>What a videos CSV holds, counted from the file itself: rows, distinct video ids, duplicates.</summary>
internal sealed record CsvCount(long Rows, long Distinct)
{
    public long Duplicates => Rows - Distinct;
}

internal static class CsvCheck
{
    private static readonly CsvReaderOptions Options = CsvReaderOptions.Default with
    {
        Separator = ',',
        HasHeader = false,
        DetectSeparatorHint = false,
        MalformedData = CsvMalformedDataHandling.Throw,
    };

    /// <summary>The first field of every record after the header (the video id), in file order.</summary>
    public static IEnumerable<string> ReadKeys(string path)
    {
        // RFC 4180 with quoted commas and line breaks; the reader takes off the byte order mark, if any.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var csv = CsvReader.Create(stream, Options, leaveOpen: true);
        if (!csv.Read())
            yield break;
        if (csv.GetString(0) != "video_id")
            throw new InvalidDataException($"{path} does not start with a video_id column.");
        while (csv.Read())
            yield return csv.GetString(0);
    }

    public static CsvCount Count(string path)
    {
        if (!File.Exists(path))
            return new CsvCount(0, 0);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long rows = 0;
        foreach (var id in ReadKeys(path))
        {
            rows++;
            ids.Add(id);
        }
        return new CsvCount(rows, ids.Count);
    }
}
