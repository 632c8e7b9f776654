using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pacer.Storage;

namespace Pacer.Cli;

/// <summary>
/// The client and store of one short command (enqueue, jobs, status, migrate): a host that is built but never started,
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
    }

    public IPacerClient Client { get; }

    public IJobStore Store { get; }

    public TimeProvider Time { get; }

    /// <param name="create">True for commands that may create the database; the others need an existing one.</param>
    public static StoreSession Open(CliContext context, bool create = false)
    {
        if (create)
            DatabaseFile.EnsureCreatable(context.DatabasePath);
        else
            DatabaseFile.EnsureExisting(context.DatabasePath);
        var host = CliHost.CreateBuilder(context.HostSettings()).Build();
        try
        {
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
