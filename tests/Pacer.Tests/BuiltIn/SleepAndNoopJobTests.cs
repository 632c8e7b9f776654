using Pacer.BuiltIn;

namespace Pacer.Tests.BuiltIn;

public sealed class SleepAndNoopJobTests : IAsyncLifetime
{
    private readonly BuiltInJobHarness _jobs = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _jobs.DisposeAsync();

    [Fact]
    public async Task Noop_EmptyObject_Completes()
    {
        await _jobs.RunAsync(BuiltInJobKinds.Noop, "{}");
    }

    [Fact]
    public void Noop_AnyField_IsRejected()
    {
        var error = Assert.Throws<JobArgsException>(() => _jobs.Parse(BuiltInJobKinds.Noop, """{"x":1}"""));

        Assert.Contains("x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sleep_CompletesWhenTheEngineClockHasMovedThatFar()
    {
        var run = _jobs.RunAsync(BuiltInJobKinds.Sleep, """{"milliseconds":1500}""");

        _jobs.Time.Advance(TimeSpan.FromMilliseconds(1499));
        Assert.False(run.IsCompleted);
        _jobs.Time.Advance(TimeSpan.FromMilliseconds(1));
        await run;
    }

    [Fact]
    public async Task Sleep_JobTokenFires_StopsAtOnce()
    {
        using var job = new CancellationTokenSource();
        var run = _jobs.RunAsync(BuiltInJobKinds.Sleep, """{"milliseconds":3600000}""", cancellationToken: job.Token);

        await job.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"milliseconds":-1}""")]
    [InlineData("""{"milliseconds":3600001}""")]
    public void Sleep_MillisecondsMissingOrOutOfRange_IsRejected(string json)
    {
        var error = Assert.Throws<JobArgsException>(() => _jobs.Parse(BuiltInJobKinds.Sleep, json));

        Assert.Contains("milliseconds", error.Message, StringComparison.Ordinal);
    }
}
