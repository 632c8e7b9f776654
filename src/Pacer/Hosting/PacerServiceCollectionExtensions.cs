using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacer.Admission;
using Pacer.Engine;
using Pacer.Resources;
using Pacer.Storage;

namespace Pacer;

/// <summary>Adds Pacer to a host.</summary>
public static class PacerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Pacer client, the engine (a hosted service that runs jobs while the host runs) and the job kinds
    /// configured in <paramref name="configure"/>. Binds <see cref="PacerOptions"/> from the "Pacer" configuration section
    /// and validates it at start. A store must be set, e.g. with <c>UseSqlite</c>.
    /// </summary>
    public static PacerBuilder AddPacer(this IServiceCollection services, Action<PacerBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(PacerBuilder))?.ImplementationInstance as PacerBuilder;
        var builder = existing ?? new PacerBuilder(services, new JobKindRegistry(), new RecurringRegistry());
        if (existing is null)
        {
            services.AddSingleton(builder);
            services.AddSingleton(builder.Registry);
            services.AddSingleton(builder.Recurring);
            services.AddOptions<PacerOptions>()
                .ValidateDataAnnotations()
                .ValidateOnStart();
            // Bound from the "Pacer" section when the host has configuration; a bare ServiceCollection works too.
            services.AddSingleton<IConfigureOptions<PacerOptions>>(sp => new ConfigureNamedOptions<PacerOptions>(
                Options.DefaultName, options =>
                {
                    if (sp.GetService<IConfiguration>() is { } configuration)
                        PacerConfiguration.Bind(configuration, options);
                }));
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<IRandomSource, SharedRandomSource>();
            services.TryAddSingleton(sp => new ResourceCatalogSource(
                sp.GetRequiredService<IOptions<PacerOptions>>().Value, sp.GetRequiredService<IOptionsFactory<PacerOptions>>(),
                sp.GetService<IConfiguration>(), sp.GetRequiredService<ILoggerFactory>()));
            services.TryAddSingleton(sp => new ResourceAdmission(
                sp.GetRequiredService<ResourceCatalogSource>(), AdmissionSettings.From(sp.GetRequiredService<IOptions<PacerOptions>>().Value)));
            services.TryAddSingleton<PacerResources>();
            services.TryAddSingleton<Http.SendPacer>();
            services.TryAddSingleton<IPacerResources>(sp => sp.GetRequiredService<PacerResources>());
            services.AddLogging();
            services.TryAddSingleton<PacerTelemetry>();
            services.TryAddSingleton<WorkSignal>();
            services.TryAddSingleton<RunningJobs>();
            services.TryAddSingleton<PacerClient>();
            services.TryAddSingleton<IPacerClient>(sp => sp.GetRequiredService<PacerClient>());
            services.TryAddSingleton<PacerEngine>();
            services.TryAddSingleton<IPacerEngine>(sp => sp.GetRequiredService<PacerEngine>());
            services.AddHostedService(sp => sp.GetRequiredService<PacerEngine>());
            services.TryAddSingleton<IJobStore>(_ => throw new InvalidOperationException(
                "No Pacer store is configured. Call UseSqlite(...) (Pacer.Sqlite) or UseStore(...) on the Pacer builder."));
        }
        configure?.Invoke(builder);
        return builder;
    }
}
