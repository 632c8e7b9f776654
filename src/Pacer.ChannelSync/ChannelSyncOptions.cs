using System.Text;
using Pacer.Storage;

namespace Pacer.ChannelSync;

/// <summary>Settings of the channel-sync recipe.</summary>
public sealed class ChannelSyncOptions
{
    /// <summary>Longest queue name the engine takes.</summary>
    private const int MaxQueueName = 128;

    /// <summary>The resource YouTube calls are charged to (as given to <c>AddYouTube</c>). Default <c>youtube</c>.</summary>
    public string YouTubeResource { get; set; } = "youtube";

    /// <summary>The queue the recipe's jobs go to. Default <c>default</c>.</summary>
    public string Queue { get; set; } = "default";

    /// <summary>
    /// This machine's name in <see cref="LocalQueue"/>. Default <see cref="Environment.MachineName"/>; set a stable name
    /// where the machine's name changes (a container) but its files stay.
    /// </summary>
    public string Host { get; set; } = Environment.MachineName;

    /// <summary>
    /// <c>Queue:Host</c>: where a run that writes local files (CSV, XLSX, <c>sqlite:</c>) puts its jobs when the store is
    /// shared by several machines (PostgreSQL), so that every job of the run runs on the machine that has the files.
    /// Every process that works <see cref="Queue"/> also works its own machine's local queue.
    /// </summary>
    public string LocalQueue
    {
        get
        {
            // Queue names take a-z, A-Z, 0-9, '.', '_', ':' and '-'; a host name may hold anything else.
            var host = new StringBuilder(Host.Length);
            foreach (var c in Host)
                host.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
            var name = $"{Queue}:{host}";
            return name.Length <= MaxQueueName ? name : name[..MaxQueueName];
        }
    }

    /// <summary>
    /// The queue for the jobs of a run with these destinations on this store: <see cref="LocalQueue"/> when the store
    /// spans machines and a destination is a local file, else null (the kinds' own queue, <see cref="Queue"/>).
    /// </summary>
    public string? QueueFor(IEnumerable<string> destinations, StoreCapabilities store)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        ArgumentNullException.ThrowIfNull(store);
        return store.SpansMachines && destinations.Any(IsLocal) ? LocalQueue : null;
    }

    /// <summary>Every destination but Google Sheets is a file on the machine that writes it.</summary>
    private static bool IsLocal(string destination) => !destination.StartsWith("sheets:", StringComparison.OrdinalIgnoreCase);
}
