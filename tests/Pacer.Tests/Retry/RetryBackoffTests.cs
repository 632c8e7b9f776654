namespace Pacer.Tests.Retry;

public sealed class RetryBackoffTests
{
    private sealed class FixedRandom(double value) : IRandomSource
    {
        public double NextDouble() => value;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    public void NextDelay_WithoutJitter_DoublesPerAttempt(int attempt, int expectedSeconds)
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromHours(1), UseJitter = false };

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryBackoff.NextDelay(options, attempt, new FixedRandom(0.5)));
    }

    [Fact]
    public void NextDelay_LargeAttempt_IsCappedAtMaxDelay()
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMinutes(5), UseJitter = false };

        Assert.Equal(TimeSpan.FromMinutes(5), RetryBackoff.NextDelay(options, 40, new FixedRandom(0.5)));
        Assert.Equal(TimeSpan.FromMinutes(5), RetryBackoff.NextDelay(options, 10_000, new FixedRandom(0.5)));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.25, 2)]
    [InlineData(0.999, 7.992)]
    public void NextDelay_FullJitter_ScalesTheCeilingByTheRandomValue(double random, double expectedSeconds)
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromHours(1) };

        var delay = RetryBackoff.NextDelay(options, 4, new FixedRandom(random));

        Assert.Equal(expectedSeconds, delay.TotalSeconds, 3);
    }

    [Fact]
    public void NextDelay_FullJitter_NeverExceedsTheCap()
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(2) };
        var random = new Random(42);
        for (var attempt = 1; attempt < 100; attempt++)
        {
            var delay = RetryBackoff.NextDelay(options, attempt, new FixedRandom(random.NextDouble()));
            Assert.InRange(delay, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        }
    }
}
