using System.Globalization;

namespace Pacer.Bench.ChannelSync;

/// <summary>
/// <c>sync-child</c>: the processes the <c>sync</c> benchmark starts. <c>emulator</c> serves the YouTube emulator until its
/// standard input closes; <c>run</c> performs one sync (one side, one phase) and prints its figures as one JSON line.
/// </summary>
internal static class SyncChild
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["emulator", .. var emulator])
            return await EmulatorProcess.ServeAsync(emulator);
        if (args is not ["run", .. var rest])
        {
            Console.Error.WriteLine("usage: sync-child emulator|run ... (started by the sync benchmark, not by hand)");
            return 2;
        }

        SyncSide? side = null;
        Uri? api = null;
        string? directory = null, channelsFile = null;
        var limit = int.MaxValue;
        for (var i = 0; i + 1 < rest.Length; i += 2)
        {
            var value = rest[i + 1];
            switch (rest[i])
            {
                case "--side" when SyncSides.TryParse(value, out var s): side = s; break;
                case "--api": api = new Uri(value); break;
                case "--dir": directory = value; break;
                case "--channels-file": channelsFile = value; break;
                case "--limit": limit = int.Parse(value, CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"sync-child run: unknown option '{rest[i]} {value}'.");
                    return 2;
            }
        }
        if (side is null || api is null || directory is null || channelsFile is null)
        {
            Console.Error.WriteLine("sync-child run needs --side, --api, --dir and --channels-file.");
            return 2;
        }

        var channels = File.ReadAllLines(channelsFile).Where(l => l.Length > 0).Take(limit).ToArray();
        var result = side switch
        {
            SyncSide.Naive => await NaiveSync.RunAsync(api, directory, channels, CancellationToken.None),
            _ => await PacerSync.RunAsync(api, directory, channels, xlsx: side == SyncSide.PacerXlsx, CancellationToken.None),
        };
        ChildProcess.WriteResult(result);
        return 0;
    }
}
