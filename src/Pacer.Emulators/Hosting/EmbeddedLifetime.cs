using Microsoft.Extensions.Hosting;

namespace Pacer.Emulators.Hosting;

/// <summary>
/// Replaces the console lifetime a web host takes by default: an emulator lives inside someone else's process (a test
/// run, the CLI), which decides what Ctrl+C and SIGTERM mean. Only disposing the emulator stops it.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
