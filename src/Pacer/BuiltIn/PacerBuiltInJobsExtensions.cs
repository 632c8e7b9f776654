using Microsoft.Extensions.DependencyInjection;
using Pacer.BuiltIn;

namespace Pacer;

/// <summary>Registers Pacer's built-in job kinds.</summary>
public static class PacerBuiltInJobsExtensions
{
    /// <summary>
    /// Registers the <c>http</c>, <c>noop</c> and <c>sleep</c> kinds (see <see cref="BuiltInJobKinds"/>) and the named
    /// <see cref="HttpClient"/> the <c>http</c> kind sends with. They use the engine's defaults for queue, attempts,
    /// retry and timeout.
    /// </summary>
    public static PacerBuilder AddBuiltInJobs(this PacerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpClient(HttpJobDefaults.ClientName, client =>
            {
                // Each call is bounded by the args' timeoutSeconds and always by the job's own timeout; the
                // client's 100 s default would add a third, hidden limit.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd(HttpJobDefaults.UserAgent);
            })
            // The factory's loggers write the full URI (query strings carry tokens); the handler logs method, host,
            // path and status itself.
            .RemoveAllLoggers()
            // Calls to a configured resource's Hosts are paced and reported like any other client's.
            .AddPacerResources();
        builder.AddJob<HttpJobHandler, HttpJobArgs>(BuiltInJobKinds.Http);
        // An http job claims the resource of its URL, so admission paces it before it starts.
        builder.Registry.Get(BuiltInJobKinds.Http).ClaimsFromArgs = static (args, catalog) =>
            HttpJobArgs.TryParseUrl(SecretReferences.WithStandIns(((HttpJobArgs)args).Url), out var uri) && catalog.ForUri(uri) is { } resource
                ? [new ResourceClaim(resource.Name, resource.Costs.CostOf(((HttpJobArgs)args).Method.ToUpperInvariant(), uri.AbsolutePath))]
                : [];
        builder.AddJob<NoopJobHandler, NoopJobArgs>(BuiltInJobKinds.Noop);
        builder.AddJob<SleepJobHandler, SleepJobArgs>(BuiltInJobKinds.Sleep);
        return builder;
    }
}
