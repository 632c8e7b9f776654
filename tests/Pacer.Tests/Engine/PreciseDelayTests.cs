using System.Diagnostics;
using Pacer.Engine;

namespace Pacer.Tests.Engine;

/// <summary>The engine's short waits on the system clock (real time: what is tested is the clock itself).</summary>
public sealed class PreciseDelayTests
{
    [Fact]
    public async Task Delays_CompleteNoEarlierThanAsked_WhateverOrderTheyCameIn()
    {
        using var delay = new PreciseDelay();
        var asked = new[] { 9, 2, 5, 1, 7, 3, 3, 0 }.Select(ms => TimeSpan.FromMilliseconds(ms)).ToArray();

        var started = Stopwatch.GetTimestamp();
        var waits = asked.Select(async wait =>
        {
            await delay.DelayAsync(wait);
            return Stopwatch.GetElapsedTime(started);
        }).ToArray();
        var took = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < asked.Length; i++)
            Assert.True(took[i] >= asked[i], $"a {asked[i].TotalMilliseconds} ms wait ended after {took[i].TotalMilliseconds:0.00} ms");
    }

    [Fact]
    public async Task ContinuationsRunOffTheTimerThread_SoABlockedOneDoesNotHoldUpTheNext()
    {
        using var delay = new PreciseDelay();
        using var release = new ManualResetEventSlim();

        var blocking = delay.DelayAsync(TimeSpan.FromMilliseconds(1)).ContinueWith(_ => release.Wait(TimeSpan.FromSeconds(30)), TaskScheduler.Default);
        await delay.DelayAsync(TimeSpan.FromMilliseconds(5)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(blocking.IsCompleted);
        release.Set();
        await blocking;
    }

    [Fact]
    public async Task Dispose_ReleasesWhatStillWaits_AndRefusesNewWaits()
    {
        var delay = new PreciseDelay();
        var waiting = delay.DelayAsync(TimeSpan.FromHours(1));

        delay.Dispose();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        // Refused at the call, not through the task: nothing would ever complete it.
        Assert.Throws<ObjectDisposedException>(() => { _ = delay.DelayAsync(TimeSpan.FromMilliseconds(1)); });
    }
}
