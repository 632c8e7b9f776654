using Microsoft.Extensions.DependencyInjection;

namespace Pacer.YouTube.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_AreValidAndDocumented()
    {
        var options = new YouTubeOptions();

        Assert.Empty(options.Problems());
        Assert.Equal(new Uri("https://www.googleapis.com/"), options.BaseAddress);
        Assert.Equal("youtube", options.Resource);
        Assert.Equal("10000/day@America/Los_Angeles", options.Quota);
        Assert.Equal(YouTubeCostPreset.Classic, options.CostPreset);
        Assert.Equal(4, options.MaxAttempts);
        Assert.Equal("PACER_YOUTUBE_API_KEY", options.EnvironmentVariableOrDefault);
        Assert.Equal("YouTube:ApiKey", options.ConfigurationKeyOrDefault);
        Assert.Equal("PACER_YOUTUBE_ACCESS_TOKEN", new YouTubeOptions { CredentialKind = YouTubeCredentialKind.AccessToken }.EnvironmentVariableOrDefault);
    }

    [Fact]
    public void AddYouTube_InvalidOptions_ThrowsNamingEachOne()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<ArgumentException>(() => services.AddYouTube(o =>
        {
            o.BaseAddress = new Uri("ftp://example.org/");
            o.MaxAttempts = 0;
            o.Resource = "account:{Id}";
            o.Costs["GET /youtube/v3/search"] = 0;
            o.AttemptTimeout = TimeSpan.Zero;
        }));

        Assert.Contains("YouTubeOptions.BaseAddress", error.Message, StringComparison.Ordinal);
        Assert.Contains("YouTubeOptions.MaxAttempts is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("YouTubeOptions.Resource", error.Message, StringComparison.Ordinal);
        Assert.Contains("YouTubeOptions.Costs['GET /youtube/v3/search'] is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("YouTubeOptions.AttemptTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddYouTube_Twice_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddYouTube();

        Assert.Throws<InvalidOperationException>(() => services.AddYouTube());
    }

    [Theory]
    [InlineData("PT15M51S", 951)]
    [InlineData("PT1H2M", 3720)]
    [InlineData("PT45S", 45)]
    [InlineData("P1DT2H", 93600)]
    [InlineData("P0D", 0)]
    [InlineData("PT0S", 0)]
    [InlineData("P1W", 604800)]
    [InlineData("PT1.9S", 1)]
    [InlineData("P1W2DT3H4M5S", 788645)]
    [InlineData("PT36H", 129600)]
    public void IsoDuration_YouTubeDurations_ParseToSeconds(string text, long seconds)
    {
        Assert.True(IsoDuration.TryParseSeconds(text, out var parsed));
        Assert.Equal(seconds, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P1M")]
    [InlineData("P1Y")]
    [InlineData("15:51")]
    [InlineData("PT15M51")]
    [InlineData("PT1S1M")]
    [InlineData("PT1M1M")]
    [InlineData("P1H")]
    [InlineData("PT1D")]
    [InlineData("PT1.5M")]
    [InlineData("PT1.S")]
    [InlineData("P1DTT1H")]
    [InlineData("P1DT")]
    [InlineData("pt1s")]
    [InlineData("PTS")]
    public void IsoDuration_NotADuration_IsRefused(string? text)
    {
        Assert.False(IsoDuration.TryParseSeconds(text, out _));
    }
}
