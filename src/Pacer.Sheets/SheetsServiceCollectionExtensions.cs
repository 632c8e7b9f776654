using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pacer.Sheets;

namespace Pacer;

/// <summary>Adds the Google Sheets API v4 client and the Sheets table sink to a Pacer application.</summary>
public static class SheetsServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the client uses, to add handlers of your own (a proxy, a test double).</summary>
    public const string HttpClientName = "Pacer.Sheets";

    /// <summary>
    /// Registers <see cref="ISheetsClient"/> and <see cref="ISheetsSinkFactory"/>. Calls go through Pacer's HTTP
    /// integration, charged to <see cref="SheetsOptions.Resource"/> (declared here at <see cref="SheetsOptions.Rate"/>
    /// unless the application declares it), with retries outside the integration so each attempt is charged and paced
    /// like a call. Nothing is cached. Needs <c>AddPacer</c> with a store.
    /// </summary>
    /// <remarks>
    /// The options are read and validated here (an invalid one throws <see cref="ArgumentException"/> naming it); the
    /// credential is read and parsed when the host starts (<c>ValidateOnStart</c>), or on first use without a host.
    /// </remarks>
    public static IServiceCollection AddSheets(this IServiceCollection services, Action<SheetsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(SheetsSettings)))
            throw new InvalidOperationException("AddSheets was called twice; call it once, with all of its options.");
        var options = new SheetsOptions();
        configure?.Invoke(options);
        var settings = SheetsSettings.From(options);

        services.AddSingleton(settings);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SheetsCredential>()
            .Configure<IServiceProvider>((credential, provider) =>
                credential.Load(settings, settings.Secret.Find(provider.GetService<IConfiguration>()), provider.GetRequiredService<TimeProvider>()))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SheetsCredential>, SheetsCredentialValidation>();
        services.AddOptions<PacerOptions>().PostConfigure(pacer =>
        {
            // Declared if the application did not; if it did, its settings stand.
            if (!pacer.Resources.ContainsKey(settings.Resource))
                pacer.Resources[settings.Resource] = new ResourceOptions { Rate = settings.Rate };
        });

        services.AddHttpClient(HttpClientName, http =>
            {
                http.BaseAddress = settings.BaseAddress;
                http.Timeout = Timeout.InfiniteTimeSpan; // each attempt has its own timeout (SheetsOptions.AttemptTimeout)
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All })
            // The client logs its own lines (path, status, time); the factory's would add headers and URIs.
            .RemoveAllLoggers()
            .AddPacerResources(http => http.Resource = settings.Resource);
        services.TryAddSingleton<ISheetsClient, SheetsClient>();
        services.TryAddSingleton<ISheetsSinkFactory, SheetsSinkFactory>();
        return services;
    }
}
