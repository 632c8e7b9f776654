using Microsoft.Extensions.DependencyInjection;
using Pacer.Storage;

namespace Pacer;

/// <summary>Registers job kinds, recurring schedules and the store. Obtained from <c>services.AddPacer(...)</c>.</summary>
public sealed class PacerBuilder
{
    internal PacerBuilder(IServiceCollection services, JobKindRegistry registry, RecurringRegistry recurring)
    {
        Services = services;
        Registry = registry;
        Recurring = recurring;
    }

    public IServiceCollection Services { get; }

    internal JobKindRegistry Registry { get; }

    internal RecurringRegistry Recurring { get; }

    /// <summary>Registers a handler for a job kind. The kind name is stored with each job; keep it stable.</summary>
    public PacerBuilder AddJob<THandler, TArgs>(string kind, Action<JobKindOptions>? configure = null)
        where THandler : class, IJobHandler<TArgs>
    {
        var options = new JobKindOptions();
        configure?.Invoke(options);
        Registry.Add(JobKind.Create<THandler, TArgs>(kind, options));
        Services.AddScoped<THandler>();
        return this;
    }

    /// <summary>
    /// Enqueues <paramref name="kind"/> on a cron schedule (Cronos syntax, 5 fields or 6 with seconds) in a time zone.
    /// Each slot is enqueued at most once, whichever process and however many restarts; missed slots are not replayed, only the latest.
    /// </summary>
    public PacerBuilder AddRecurring(string name, string cron, string kind, string argsJson = "{}", TimeZoneInfo? timeZone = null, EnqueueOptions? options = null)
    {
        Recurring.Add(RecurringSchedule.Create(name, cron, kind, argsJson, timeZone ?? TimeZoneInfo.Utc, options));
        return this;
    }

    /// <summary>Sets the job store (e.g. <c>UseSqlite</c> from Pacer.Sqlite calls this).</summary>
    public PacerBuilder UseStore(Func<IServiceProvider, IJobStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(factory);
        return this;
    }

    /// <summary>
    /// Declares a resource in code (after configuration binding: a resource of the same name from configuration is
    /// changed, not replaced). Jobs claim it through <see cref="JobKindOptions.Claims"/> or <see cref="EnqueueOptions.Claims"/>.
    /// </summary>
    public PacerBuilder AddResource(string name, Action<ResourceOptions> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<PacerOptions>(options =>
        {
            if (!options.Resources.TryGetValue(name, out var resource))
                options.Resources[name] = resource = new ResourceOptions();
            configure(resource);
        });
        return this;
    }

    /// <summary>Changes engine options in code (after configuration binding).</summary>
    public PacerBuilder Configure(Action<PacerOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }
}
