using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Pacer.Resources;

namespace Pacer.Tests.Resources;

public sealed class ResourceCatalogTests
{
    private static List<string> Errors(string name, ResourceOptions options)
    {
        var errors = new List<ValidationResult>();
        Assert.Null(ResourceCatalog.TryCreate(new Dictionary<string, ResourceOptions> { [name] = options }, errors));
        return [.. errors.Select(e => e.ErrorMessage!)];
    }

    [Fact]
    public void Create_TheIssuesExample_ParsesEveryPart()
    {
        var catalog = ResourceCatalog.Create(new Dictionary<string, ResourceOptions>
        {
            ["hooks"] = new() { Rate = "50/s", Burst = 5, Concurrency = 4, Hosts = ["127.0.0.1:8080"] },
            ["youtube"] = new()
            {
                Quota = "10000/day@America/Los_Angeles",
                Rate = "5/s",
                Breaker = new BreakerOptions { FailureRatio = 0.5, MinimumCalls = 10, Break = "30s" },
                Hosts = ["youtube.googleapis.com", "www.googleapis.com"],
            },
        });
        var hooks = catalog.Find("hooks")!;
        Assert.Equal(new RateLimit(50, TimeSpan.FromSeconds(1), 5), Assert.Single(hooks.Rates));
        Assert.Equal(4, hooks.Concurrency);
        var youtube = catalog.Find("youtube")!;
        Assert.Equal(10_000, youtube.Quota!.Units);
        Assert.Equal("America/Los_Angeles", youtube.Quota.Zone.Id);
        Assert.Equal(TimeSpan.FromSeconds(30), youtube.Breaker!.Break);
        Assert.Same(hooks, catalog.ForUri(new Uri("http://127.0.0.1:8080/orders/1")));
        Assert.Null(catalog.ForUri(new Uri("http://127.0.0.1:9090/orders/1")));
        Assert.Same(youtube, catalog.ForUri(new Uri("https://www.googleapis.com/youtube/v3/videos?id=1")));
    }

    [Fact]
    public void Rate_SeveralLimits_AllApply()
    {
        var d = ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["sheets"] = new() { Rate = "60/min, 10/s" } }).Find("sheets")!;
        Assert.Equal([new RateLimit(60, TimeSpan.FromMinutes(1), 1), new RateLimit(10, TimeSpan.FromSeconds(1), 1)], d.Rates);
        Assert.Equal(TimeSpan.FromSeconds(5), ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["x"] = new() { Rate = "10/5s" } }).Find("x")!.Rates[0].Period);
    }

    [Theory]
    [InlineData("50/x", "Pacer:Resources:hooks:Rate '50/x'")]
    [InlineData("fast", "Pacer:Resources:hooks:Rate 'fast' has 'fast', which is not a rate; write N/unit such as 50/s")]
    [InlineData("0/s", "which is not a rate")]
    public void Rate_Invalid_NamesTheKeyAndTheFix(string rate, string expected)
    {
        var error = Assert.Single(Errors("hooks", new ResourceOptions { Rate = rate }));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Quota_UnknownZone_SaysWhichZone()
    {
        var error = Assert.Single(Errors("youtube", new ResourceOptions { Quota = "10000/day@Mars/Olympus" }));
        Assert.Contains("Pacer:Resources:youtube:Quota", error, StringComparison.Ordinal);
        Assert.Contains("'Mars/Olympus'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Breaker_WithoutATrigger_AndBadDurations_AreErrors()
    {
        var errors = Errors("api", new ResourceOptions { Breaker = new BreakerOptions { Break = "soon" } });
        Assert.Contains(errors, e => e.Contains("needs FailureRatio", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Pacer:Resources:api:Breaker:Break 'soon' is not a duration", StringComparison.Ordinal));
    }

    [Fact]
    public void OtherProblems_EachGetAMessage()
    {
        Assert.Contains("Burst is 0", Assert.Single(Errors("a", new ResourceOptions { Rate = "1/s", Burst = 0 })), StringComparison.Ordinal);
        Assert.Contains("Burst is set without a Rate", Assert.Single(Errors("a", new ResourceOptions { Burst = 3 })), StringComparison.Ordinal);
        Assert.Contains("Concurrency is 0", Assert.Single(Errors("a", new ResourceOptions { Concurrency = 0 })), StringComparison.Ordinal);
        Assert.Contains("'http://'", Assert.Single(Errors("a", new ResourceOptions { Hosts = ["http://"] })), StringComparison.Ordinal);
        Assert.Contains("Costs has 'search'", Assert.Single(Errors("a", new ResourceOptions { Costs = new() { ["search"] = 100 } })), StringComparison.Ordinal);
        Assert.Contains("CallTimeout 'never'", Assert.Single(Errors("a", new ResourceOptions { CallTimeout = "never" })), StringComparison.Ordinal);
        Assert.Contains("cannot be set on a template", Assert.Single(Errors("account:{Id}", new ResourceOptions { Hosts = ["x.org"] })), StringComparison.Ordinal);
        Assert.Contains("is not a resource name", Assert.Single(Errors("bad name", new ResourceOptions())), StringComparison.Ordinal);
    }

    [Fact]
    public void Template_GovernsItsPartitionsOnly()
    {
        var catalog = ResourceCatalog.Create(new Dictionary<string, ResourceOptions> { ["account:{AccountId}"] = new() { Concurrency = 1 } });
        Assert.Equal("account:{AccountId}", catalog.Find("account:42")!.Name);
        Assert.Null(catalog.Find("accounts:42"));
        Assert.Null(catalog.Find("account:"));
    }

    [Fact]
    public void FillTemplate_TakesFieldsFromArgs_CaseInsensitively()
    {
        using var args = JsonDocument.Parse("""{"accountId":42,"chat":"abc"}""");
        Assert.Equal("account:42:chat:abc", ResourceCatalog.FillTemplate("account:{AccountId}:chat:{Chat}", "k", args.RootElement));
        var missing = Assert.Throws<JobArgsException>(() => ResourceCatalog.FillTemplate("user:{UserId}", "k", args.RootElement));
        Assert.Contains("no 'UserId' field", missing.Message, StringComparison.Ordinal);
        using var nullArgs = JsonDocument.Parse("""{"userId":null}""");
        Assert.Contains("is null", Assert.Throws<JobArgsException>(() => ResourceCatalog.FillTemplate("user:{UserId}", "k", nullArgs.RootElement)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hosts_LongestPathPrefixWins()
    {
        var catalog = ResourceCatalog.Create(new Dictionary<string, ResourceOptions>
        {
            ["google"] = new() { Hosts = ["www.googleapis.com"] },
            ["youtube"] = new() { Hosts = ["www.googleapis.com/youtube"] },
        });
        Assert.Equal("youtube", catalog.ForUri(new Uri("https://www.googleapis.com/youtube/v3/videos"))!.Name);
        Assert.Equal("google", catalog.ForUri(new Uri("https://www.googleapis.com/drive/v3/files"))!.Name);
        Assert.Equal("google", catalog.ForUri(new Uri("https://www.googleapis.com/youtubeX"))!.Name);
    }

    [Fact]
    public void Costs_LongestPrefixAndMethod_ElseTheDefault()
    {
        var d = ResourceCatalog.Create(new Dictionary<string, ResourceOptions>
        {
            ["yt"] = new() { Costs = new() { ["GET /youtube/v3/search"] = 100, ["POST /upload"] = 1600, ["*"] = 2 } },
        }).Find("yt")!;
        Assert.Equal(100, d.Costs.CostOf("GET", "/youtube/v3/search"));
        Assert.Equal(2, d.Costs.CostOf("POST", "/youtube/v3/search"));
        Assert.Equal(1600, d.Costs.CostOf("POST", "/upload/youtube/v3/videos"));
        Assert.Equal(2, d.Costs.CostOf("GET", "/youtube/v3/videos"));
    }

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("30s", 30)]
    [InlineData("5min", 300)]
    [InlineData("2h", 7200)]
    [InlineData("00:00:30", 30)]
    public void Durations_InBothSpellings(string text, double seconds)
    {
        Assert.True(ResourceSyntax.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }
}
