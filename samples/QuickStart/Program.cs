using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pacer;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHttpClient();
builder.Services.AddPacer(pacer => pacer
    .UseSqlite("pacer.db")
    .AddJob<NotifyHandler, Notify>("notify", kind => { kind.MaxAttempts = 5; kind.Timeout = TimeSpan.FromSeconds(30); }));
using var host = builder.Build();
await host.StartAsync();                                             // the engine runs while the host runs

var client = host.Services.GetRequiredService<IPacerClient>();
await client.EnqueueAsync(new Notify("https://example.org/hook", "build 42 passed"), new EnqueueOptions { UniqueKey = "build-42" });
await host.WaitForShutdownAsync();

public sealed record Notify([property: Required, Url] string Url, [property: Required] string Text);

public sealed class NotifyHandler(IHttpClientFactory http) : IJobHandler<Notify>
{
    public Task HandleAsync(Notify args, JobContext context) =>
        context.Effects.RunAsync($"notify:{context.JobId}", async ct =>   // posted at most once, whatever happens
        {
            try
            {
                using var response = await http.CreateClient().PostAsync(args.Url, new StringContent(args.Text), ct);
                return (int)response.EnsureSuccessStatusCode().StatusCode;
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError)
            {
                throw new EffectNotDoneException(ex);                        // nothing was sent: a retry may post it
            }
        });
}
