using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pacer.Storage;

namespace Pacer.Cli;

/// <summary>
/// The client, store and resources of one short command (enqueue, jobs, status, resources, queues, migrate): a host that is built but never started,
/// so no engine runs; disposing it closes the store.
/// </summary>
internal sealed class StoreSession : IAsyncDisposable
{
    private readonly IHost _host;

    private StoreSession(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IPacerClient>();
        Store = host.Services.GetRequiredService<IJobStore>();
        Time = host.Services.GetRequiredService<TimeProvider>();
        Resources = host.Services.GetRequiredService<IPacerResources>();
        Options = host.Services.GetRequiredService<IOptions<PacerOptions>>().Value;
    }

    public IPacerClient Client { get; }

    public IJobStore Store { get; }

    public TimeProvider Time { get; }

    public IPacerResources Resources { get; }

    /// <summary>The options as bound from the defaults, <c>--config</c> and the environment (validated).</summary>
    public PacerOptions Options { get; }

    /// <param name="create">True for commands that may create the database; the others need an existing one.</param>
    /// <param name="recipeResources">True to declare the sync recipe's resources too (see <see cref="Sync.SyncSetup.ResourcesOnly"/>).</param>
    public static StoreSession Open(CliContext context, bool create = false, bool recipeResources = false)
    {
        var settings = context.HostSettings();
        if (recipeResources)
            settings = settings with { ChannelSync = Sync.SyncSetup.ResourcesOnly };
        // Configuration first: a usage error is reported before the database is looked at.
        var host = CliHost.Build(settings);
        try
        {
            if (create)
                DatabaseFile.EnsureCreatable(context.DatabasePath);
            else
                DatabaseFile.EnsureExisting(context.DatabasePath);
            return new StoreSession(host);
        }
        catch (Exception)
        {
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
        else
            _host.Dispose();
    }
}
