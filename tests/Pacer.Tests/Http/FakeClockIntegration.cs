using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Pacer.Tests.BuiltIn;

namespace Pacer.Tests.Http;

/// <summary>
/// Pacer on a temporary SQLite file and a fake clock, one resource <c>api</c> on the test server (1,000 calls a second,
/// no breaker), and named HTTP clients through the integration.
/// </summary>
internal sealed class FakeClockIntegration : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;
    private readonly ServiceProvider _provider;

    private FakeClockIntegration(DirectoryInfo directory, ServiceProvider provider, FakeTimeProvider time)
    {
        _directory = directory;
        _provider = provider;
        Time = time;
    }

    public FakeTimeProvider Time { get; }

    public HttpClient Client(string name) => _provider.GetRequiredService<IHttpClientFactory>().CreateClient(name);

    public static async Task<FakeClockIntegration> StartAsync(TestHttpServer server, params string[] clients)
    {
        var directory = Directory.CreateTempSubdirectory("pacer-http-");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddPacer(p => p.UseSqlite(Path.Combine(directory.FullName, "pacer.db")).AddResource("api", r =>
        {
            r.Hosts = [$"{server.BaseAddress.Host}:{server.BaseAddress.Port}"];
            r.Rate = "1000/s";
        }));
        foreach (var name in clients)
            services.AddHttpClient(name).AddPacerResources();
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
        return new FakeClockIntegration(directory, provider, time);
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _directory.Delete(recursive: true);
    }
}
