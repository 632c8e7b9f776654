using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Tests.BuiltIn;

namespace Pacer.Tests.Http;

/// <summary>The HTTP integration's conditional-request cache against a real server that honours If-None-Match.</summary>
public sealed class ConditionalCacheTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pacer-tests", Guid.NewGuid().ToString("N"));
    private string _etag = "\"v1\"";
    private string _body = """{"items":[1]}""";
    private bool _declareLength;
    private int _status = StatusCodes.Status200OK;
    private TestHttpServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _server = await TestHttpServer.StartAsync(async context =>
        {
            context.Response.Headers.ETag = _etag;
            if (context.Request.Headers.IfNoneMatch.ToString() == _etag)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            context.Response.StatusCode = _status;
            context.Response.ContentType = "application/json";
            if (_declareLength)
                context.Response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(_body);
            await context.Response.WriteAsync(_body, context.RequestAborted);
        });
        var services = new ServiceCollection();
        services.AddPacer(p => p
            .UseSqlite(Path.Combine(_directory, "pacer.db"))
            .AddResource("api", r => r.Hosts = [$"{_server.BaseAddress.Host}:{_server.BaseAddress.Port}"]));
        services.AddHttpClient("api").AddPacerResources(o => o.ConditionalCache = true);
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<Storage.IJobStore>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<(string Body, string? Cache, string ContentType)> GetAsync()
    {
        var client = _services.GetRequiredService<IHttpClientFactory>().CreateClient("api");
        using var response = await client.GetAsync(_server.Url("/v1/items?key=secret"));
        response.EnsureSuccessStatusCode();
        var cache = response.Headers.TryGetValues("X-Pacer-Cache", out var values) ? values.Single() : null;
        return (await response.Content.ReadAsStringAsync(), cache, response.Content.Headers.ContentType!.MediaType!);
    }

    [Fact]
    public async Task Unchanged_IsServedFromTheCacheAfterA304_Changed_Refreshes()
    {
        Assert.Equal(("""{"items":[1]}""", null, "application/json"), await GetAsync());

        Assert.Equal(("""{"items":[1]}""", "revalidated", "application/json"), await GetAsync());
        Assert.Equal("\"v1\"", _server.Requests[^1].Headers["If-None-Match"]);

        _etag = "\"v2\"";
        _body = """{"items":[1,2]}""";
        Assert.Equal(("""{"items":[1,2]}""", null, "application/json"), await GetAsync());
        Assert.Equal(("""{"items":[1,2]}""", "revalidated", "application/json"), await GetAsync());
        Assert.Equal(4, _server.Requests.Count);
    }

    [Fact]
    public async Task Bypass_SendsWithoutIfNoneMatch_AndStoresNothing_UntilDisposed()
    {
        using (PacerHttpCache.Bypass())
        {
            Assert.Equal(("""{"items":[1]}""", null, "application/json"), await GetAsync());
            Assert.Equal(("""{"items":[1]}""", null, "application/json"), await GetAsync());
        }
        Assert.All(_server.Requests, r => Assert.False(r.Headers.ContainsKey("If-None-Match")));
        Assert.Equal(0L, await CountCachedAsync());

        Assert.Equal(("""{"items":[1]}""", null, "application/json"), await GetAsync());
        Assert.Equal(1L, await CountCachedAsync());
        using (PacerHttpCache.Bypass())
            Assert.Equal(("""{"items":[1]}""", null, "application/json"), await GetAsync());
        Assert.False(_server.Requests[^1].Headers.ContainsKey("If-None-Match"));
        Assert.Equal(("""{"items":[1]}""", "revalidated", "application/json"), await GetAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BodyLargerThanMaxCachedBodyBytes_ReachesTheCallerWhole_AndIsNotKept(bool declareLength)
    {
        _declareLength = declareLength;
        _body = $$"""{"items":["{{new string('x', new PacerHttpOptions().MaxCachedBodyBytes)}}"]}""";

        Assert.Equal((_body, null, "application/json"), await GetAsync());
        Assert.Equal((_body, null, "application/json"), await GetAsync());

        Assert.Equal(0L, await CountCachedAsync());
        Assert.All(_server.Requests, r => Assert.False(r.Headers.ContainsKey("If-None-Match")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Body_ReadWithOrWithoutADeclaredLength_IsKeptAsSent(bool declareLength)
    {
        _declareLength = declareLength;
        _body = $$"""{"items":["{{new string('y', 200_000)}}"]}""";

        Assert.Equal((_body, null, "application/json"), await GetAsync());
        Assert.Equal((_body, "revalidated", "application/json"), await GetAsync());
        Assert.Equal(1L, await CountCachedAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ForbiddenWithABodyLongerThanAnErrorBody_ReachesTheCallerWhole(bool declareLength)
    {
        _status = StatusCodes.Status403Forbidden;
        _declareLength = declareLength;
        _body = $$$"""{"error":{"code":403,"message":"{{{new string('z', 100_000)}}}"}}""";

        var client = _services.GetRequiredService<IHttpClientFactory>().CreateClient("api");
        using var response = await client.GetAsync(_server.Url("/v1/items"));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(_body, await response.Content.ReadAsStringAsync());
    }

    private async Task<long> CountCachedAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "pacer.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pacer_http_cache";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task CacheEntry_KeepsNoQueryString_WhereAnApiKeyMayBe()
    {
        await GetAsync();

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "pacer.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key || ' ' || url FROM pacer_http_cache";
        var row = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain("secret", row, StringComparison.Ordinal);
        Assert.EndsWith("/v1/items", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswersAreKeptPerCaller_ByTheirCredentials_OrByTheIdentityTheyName()
    {
        var client = _services.GetRequiredService<IHttpClientFactory>().CreateClient("api");
        async Task<string?> GetAsAsync(string token, string? identity)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _server.Url("/v1/items"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            if (identity is not null)
                request.Options.Set(PacerHttpCache.Identity, identity);
            using var response = await client.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return response.Headers.TryGetValues("X-Pacer-Cache", out var values) ? values.Single() : null;
        }

        Assert.Null(await GetAsAsync("token-of-alice", null));
        Assert.Null(await GetAsAsync("token-of-bob", null));          // another caller: never alice's answer
        Assert.Equal("revalidated", await GetAsAsync("token-of-alice", null));

        // A renewed token of the same user, who names themselves: the answer kept under the first token is found.
        Assert.Null(await GetAsAsync("alice-token-1", "user:alice"));
        Assert.Equal("revalidated", await GetAsAsync("alice-token-2", "user:alice"));
        Assert.Null(await GetAsAsync("alice-token-2", "user:carol"));
    }
}
