using Microsoft.Extensions.DependencyInjection;
using Pacer.Http;

namespace Pacer;

/// <summary>Adds Pacer's resource handling to an <see cref="HttpClient"/> made by <see cref="IHttpClientFactory"/>.</summary>
public static class PacerHttpClientBuilderExtensions
{
    /// <summary>
    /// Calls through this client are charged to their resource (by <c>Hosts</c> or <see cref="PacerHttpOptions.Resource"/>),
    /// paced by its limits, and their answers reported to it: 429 and Retry-After pause it, a quota-exceeded answer stops
    /// spending until the reset, failures count toward its breaker. Optionally answers unchanged GETs from the store.
    /// Requires <c>AddPacer</c> with a store.
    /// </summary>
    public static IHttpClientBuilder AddPacerResources(this IHttpClientBuilder builder, Action<PacerHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PacerHttpOptions();
        configure?.Invoke(options);
        if (options.MaxCachedBodyBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(configure), options.MaxCachedBodyBytes, "PacerHttpOptions.MaxCachedBodyBytes may not be negative.");
        if (options.CallTimeout is { } timeout && timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(configure), timeout, "PacerHttpOptions.CallTimeout must be positive.");
        return builder.AddHttpMessageHandler(services => new PacerHttpHandler(services, options));
    }
}
