using Microsoft.AspNetCore.Http;

namespace Pacer.Emulators.Hosting;

/// <summary>What an emulator plugs into <see cref="EmulatorHost"/>: its API, its admin endpoints and its error bodies.</summary>
internal interface IEmulatorApi
{
    /// <summary>Answers one API request (latency and injected faults were applied before).</summary>
    Task HandleAsync(HttpContext context, CancellationToken cancellationToken);

    /// <summary>Answers a request under <c>/_emulator</c>; <paramref name="path"/> is the rest of the path.</summary>
    Task HandleAdminAsync(HttpContext context, PathString path, CancellationToken cancellationToken);

    /// <summary>Writes the service's own body for an injected 500, 503 or 429.</summary>
    Task WriteInjectedFailureAsync(HttpContext context, int statusCode, CancellationToken cancellationToken);

    /// <summary>
    /// Answers a request that belongs to another of the provider's services hosted alongside (an OAuth token endpoint),
    /// without the API's latency, faults or counts; false when the request is the API's.
    /// </summary>
    ValueTask<bool> TryHandleOutsideApiAsync(HttpContext context, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}
