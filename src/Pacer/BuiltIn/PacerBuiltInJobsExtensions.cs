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
            .RemoveAllLoggers();
        builder.AddJob<HttpJobHandler, HttpJobArgs>(BuiltInJobKinds.Http);
        builder.AddJob<NoopJobHandler, NoopJobArgs>(BuiltInJobKinds.Noop);
        builder.AddJob<SleepJobHandler, SleepJobArgs>(BuiltInJobKinds.Sleep);
        return builder;
    }
}
