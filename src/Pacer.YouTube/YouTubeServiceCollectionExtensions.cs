using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pacer.YouTube;

namespace Pacer;

/// <summary>Adds the YouTube Data API v3 client to a Pacer application.</summary>
public static class YouTubeServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the client uses, to add handlers of your own (a proxy, a test double).</summary>
    public const string HttpClientName = "Pacer.YouTube";

    /// <summary>
    /// Registers <see cref="IYouTubeClient"/>. Its calls go through Pacer's HTTP integration, charged to the resource
    /// <see cref="YouTubeOptions.Resource"/> (declared here with <see cref="YouTubeOptions.Quota"/> and the cost table
    /// unless the application declares it), with conditional GETs answered from the store, and with retries of server
    /// errors outside the integration so each attempt is charged and paced like a call. Needs <c>AddPacer</c> with a store.
    /// </summary>
    /// <remarks>
    /// The options are read and validated here (an invalid one throws <see cref="ArgumentException"/> naming it); the
    /// credential is read when the host starts (<c>ValidateOnStart</c>), or on first use without a host.
    /// </remarks>
    public static IServiceCollection AddYouTube(this IServiceCollection services, Action<YouTubeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(YouTubeSettings)))
            throw new InvalidOperationException("AddYouTube was called twice; call it once, with all of its options.");
        var options = new YouTubeOptions();
        configure?.Invoke(options);
        var settings = YouTubeSettings.From(options);

        services.AddSingleton(settings);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<YouTubeCredential>()
            .Configure<IServiceProvider>((credential, provider) =>
                credential.Load(settings, settings.Secret.Find(provider.GetService<IConfiguration>()), provider.GetRequiredService<TimeProvider>()))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<YouTubeCredential>, YouTubeCredentialValidation>();
        services.AddOptions<PacerOptions>().PostConfigure(pacer => DeclareResource(pacer, settings));

        services.AddHttpClient(HttpClientName, http =>
            {
                http.BaseAddress = settings.BaseAddress;
                http.Timeout = Timeout.InfiniteTimeSpan; // each attempt has its own timeout (YouTubeOptions.AttemptTimeout)
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All })
            // The factory's default logging writes request URIs; the API key travels in the query. The client logs its own lines, without it.
            .RemoveAllLoggers()
            .AddPacerResources(http =>
            {
                http.Resource = settings.Resource;
                http.ConditionalCache = true;
            });
        services.TryAddSingleton<IYouTubeClient, YouTubeClient>();
        return services;
    }

    /// <summary>
    /// Declares the resource with the quota and cost table if the application did not; if it did, its settings stand and
    /// only an empty cost table is filled in.
    /// </summary>
    private static void DeclareResource(PacerOptions pacer, YouTubeSettings settings)
    {
        if (!pacer.Resources.TryGetValue(settings.Resource, out var resource))
            pacer.Resources[settings.Resource] = resource = new ResourceOptions { Quota = settings.Quota };
        if (resource.Costs.Count == 0)
        {
            foreach (var (pattern, cost) in settings.Costs)
                resource.Costs[pattern] = cost;
        }
    }
}
