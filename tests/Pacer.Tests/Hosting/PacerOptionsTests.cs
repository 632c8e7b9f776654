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
}
