namespace Pacer.Tests.Engine;

/// <summary>A process id of this machine that runs nothing: a worker of that id has stopped, as if it had been killed.</summary>
internal static class StoppedWorker
{
    public static async Task<int> ProcessIdAsync()
    {
        using var process = System.Diagnostics.Process.Start("true") ?? throw new InvalidOperationException("Could not start 'true'.");
        await process.WaitForExitAsync();
        return process.Id;
    }
}
