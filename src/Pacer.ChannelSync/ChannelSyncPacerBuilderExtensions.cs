using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pacer.ChannelSync;

namespace Pacer;

/// <summary>Adds the channel-sync recipe to Pacer.</summary>
public static class ChannelSyncPacerBuilderExtensions
{
    /// <summary>
    /// Registers the recipe's job kinds (<c>channel-sync</c>, <c>channel-sync.channel</c>, <c>channel-sync.finish</c>).
    /// Needs <c>services.AddYouTube(...)</c>; <c>services.AddSheets(...)</c> too for <c>sheets:</c> destinations.
    /// Start a run with <c>EnqueueAsync(new ChannelSyncArgs { Channels = [...], Destinations = [...] })</c>.
    /// </summary>
    public static PacerBuilder AddChannelSync(this PacerBuilder builder, Action<ChannelSyncOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ChannelSyncOptions();
        configure?.Invoke(options);
        ArgumentException.ThrowIfNullOrEmpty(options.YouTubeResource);
        ArgumentException.ThrowIfNullOrEmpty(options.Queue);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host);
        var services = builder.Services;
        services.TryAddSingleton(options);
        // A run that writes local files on a store several machines share keeps its jobs to the machine that has the
        // files (ChannelSyncOptions.LocalQueue). So every process that works the recipe's queue also works its machine's
        // local queue, with the same cap. After every Configure, so a queue list given in code or on the command line
        // (pacer run --queues) is the one extended.
        services.PostConfigure<PacerOptions>(pacer =>
        {
            int cap;
            if (pacer.Queues.Count == 0)
            {
                if (options.Queue != "default")
                    return;
                cap = pacer.Concurrency;
                pacer.Queues["default"] = cap; // what an empty list means, made explicit before another queue joins it
            }
            else if (!pacer.Queues.TryGetValue(options.Queue, out cap))
            {
                return;
            }
            pacer.Queues.TryAdd(options.LocalQueue, cap);
        });
        services.TryAddSingleton<ChannelSyncProgress>();
        services.TryAddSingleton<Destinations>();
        services.TryAddSingleton<IChannelSource, YouTubeChannelSource>();
        services.TryAddSingleton(sp => new ChannelQuota(sp.GetRequiredService<IPacerResources>(), options.YouTubeResource));
        services.TryAddSingleton<ITableSinkFactory>(sp => new ChannelSyncSinkFactory(
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(), sp.GetService<Sheets.ISheetsSinkFactory>()));
        var youtube = new ResourceClaim(options.YouTubeResource);
        builder.AddJob<RunHandler, ChannelSyncArgs>(ChannelSyncKinds.Run, k => { k.Queue = options.Queue; k.Claims.Add(youtube); });
        builder.AddJob<ChannelHandler, ChannelJobArgs>(ChannelSyncKinds.Channel, k => { k.Queue = options.Queue; k.Claims.Add(youtube); });
        builder.AddJob<FinishHandler, FinishJobArgs>(ChannelSyncKinds.Finish, k => k.Queue = options.Queue);
        return builder;
    }
}
