using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Pacer.Tests.Hosting;

public sealed class PacerOptionsTests
{
    private static OptionsValidationException Validate(Action<PacerOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddPacer().Configure(configure);
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PacerOptions>>().Value);
    }

    [Fact]
    public void Validate_HeartbeatNotShorterThanLease_NamesTheSetting()
    {
        var error = Validate(o => { o.LeaseDuration = TimeSpan.FromSeconds(10); o.HeartbeatInterval = TimeSpan.FromSeconds(10); });

        Assert.Contains("HeartbeatInterval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ZeroConcurrencyQueue_NamesTheQueue()
    {
        var error = Validate(o => o.Queues["mail"] = 0);

        Assert.Contains("Pacer:Queues:mail", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MaxDelayBelowBaseDelay_NamesBoth()
    {
        var error = Validate(o => o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMinutes(2), MaxDelay = TimeSpan.FromMinutes(1) });

        Assert.Contains("MaxDelay", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ConcurrencyOutOfRange_Fails()
    {
        var error = Validate(o => o.Concurrency = 0);

        Assert.Contains("Concurrency", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreValid()
    {
        var services = new ServiceCollection();
        services.AddPacer();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PacerOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(10), options.EffectiveHeartbeat);
    }

    // Regression: configuration keys ignore case and the merged view spells a key as its last source does, so the
    // override PACER__RESOURCES__HOOKS__RATE renamed resource "hooks" to "HOOKS" (and claims on "hooks" went unpaced).
    [Fact]
    public void Bind_EnvironmentOverrideInUpperCase_ChangesTheValue_NotTheName()
    {
        var prefix = $"PACERTEST{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "PACER__RESOURCES__HOOKS__RATE", "50/s");
        Environment.SetEnvironmentVariable(prefix + "PACER__QUEUES__EMAILS", "3");
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Pacer:Resources:hooks:Rate"] = "10/s",
                    ["Pacer:Resources:hooks:Concurrency"] = "4",
                    ["Pacer:Queues:emails"] = "1",
                })
                .AddEnvironmentVariables(prefix)
                .Build();
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(configuration);
            services.AddPacer();
            using var provider = services.BuildServiceProvider();

            var options = provider.GetRequiredService<IOptions<PacerOptions>>().Value;

            var hooks = Assert.Single(options.Resources);
            Assert.Equal("hooks", hooks.Key);
            Assert.Equal("50/s", hooks.Value.Rate);
            Assert.Equal(4, hooks.Value.Concurrency);
            Assert.Equal(3, Assert.Contains("emails", options.Queues));
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "PACER__RESOURCES__HOOKS__RATE", null);
            Environment.SetEnvironmentVariable(prefix + "PACER__QUEUES__EMAILS", null);
        }
    }

    private static PacerOptions Bind(string json)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build());
        services.AddPacer();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<PacerOptions>>().Value;
    }

    // Regression: the binder drops a dictionary entry it cannot convert without a word, so a typo in one value made the
    // whole resource (or queue) vanish and its jobs run unpaced.
    [Theory]
    [InlineData("""{"Pacer":{"Resources":{"hooks":{"Rate":"5/s","Burst":"five"}}}}""", "'Pacer:Resources:hooks:Burst'")]
    [InlineData("""{"Pacer":{"Resources":{"hooks":{"Breaker":{"FailureRatio":"half"}}}}}""", "'Pacer:Resources:hooks:Breaker:FailureRatio'")]
    [InlineData("""{"Pacer":{"Queues":{"emails":"two"}}}""", "'Pacer:Queues:emails'")]
    [InlineData("""{"Pacer":{"Resources":{"hooks":{"Rat":"5/s"}}}}""", "Pacer:Resources:hooks:Rat is not a resource setting; use Rate, Burst,")]
    [InlineData("""{"Pacer":{"Resources":{"hooks":{"Breaker":{"Ratio":0.5}}}}}""", "Pacer:Resources:hooks:Breaker:Ratio is not a breaker setting")]
    [InlineData("""{"Pacer":{"Resources":{"account:{AccountId}":{"Concurrency":1}}}}""", "':' separates configuration keys, so resource 'account:{AccountId}' cannot be named in configuration; use another separator, e.g. 'account-{AccountId}'")]
    [InlineData("""{"Pacer":{"Queues":{"default":5,"default:web-1":2}}}""", "Pacer:Queues:default:web-1: ':' separates configuration keys, so queue 'default:web-1' cannot be named in configuration; give it to pacer run as --queues default:web-1=N")]
    public void Bind_EntryTheBinderWouldDropOrIgnore_ThrowsNamingTheKey(string json, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_TemplateResourceWithoutColon_IsBound()
    {
        var options = Bind("""{"Pacer":{"Resources":{"account-{AccountId}":{"Concurrency":1,"Breaker":{"ConsecutiveFailures":3}}}}}""");

        Assert.Equal(1, Assert.Contains("account-{AccountId}", options.Resources).Concurrency);
    }
}
