using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Pacer.Engine;
using Pacer.Storage;

namespace Pacer.Tests.Engine;

/// <summary>How the producers of several queues share the process's slots.</summary>
public sealed class QueueSlotsTests
{
    [Fact]
    public async Task SlotsAnotherQueueHeldForItsFetch_WakeTheProducerThatWaitedForThem_WhenGivenBack()
    {
        var probe = new Probe();
        var fetchOfA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await EngineHarness.StartAsync(
            p =>
            {
                p.Services.AddSingletonProbe(probe);
                p.AddJob<ScriptedHandler, Work>("work");
                // The real store, with queue a's first fetch held until the test lets it go.
                var sqlite = p.Services.Last(d => d.ServiceType == typeof(IJobStore));
                p.Services.Remove(sqlite);
                p.Services.AddSingleton(sp => GatedFetchStore.Wrap((IJobStore)sqlite.ImplementationFactory!(sp), "a", fetchOfA, releaseA.Task));
            },
            o =>
            {
                // One slot for two queues: while a's producer holds it for a fetch, b's has none.
                o.Concurrency = 1;
                o.Queues = new() { ["a"] = 1, ["b"] = 1 };
            });
        var engine = (PacerEngine)h.Engine;
        await fetchOfA.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // A job for b while a holds the only slot: b's producer wakes, finds no slot and waits for one.
        await h.Client.EnqueueAsync(new Work(), new EnqueueOptions { Queue = "b" });
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !engine.IsWaitingForSlots("b"); await Task.Yield())
            Assert.True(DateTime.UtcNow < deadline, "b's producer never waited for a slot");
        // a's fetch finds nothing and gives the slot back. No job finishes and the fake clock stands still, so only
        // the slot coming back can wake b's producer.
        releaseA.SetResult();

        await h.WaitForCountAsync("pacer.jobs.completed", 1).WaitAsync(TimeSpan.FromSeconds(10));
    }
}

/// <summary>The real store, with the first fetch of one queue held at a gate.</summary>
public class GatedFetchStore : DispatchProxy
{
    private IJobStore _inner = null!;
    private string _queue = "";
    private TaskCompletionSource _arrived = null!;
    private Task _gate = Task.CompletedTask;
    private int _held;

    internal static IJobStore Wrap(IJobStore inner, string queue, TaskCompletionSource arrived, Task gate)
    {
        var proxy = Create<IJobStore, GatedFetchStore>();
        var gated = (GatedFetchStore)(object)proxy;
        (gated._inner, gated._queue, gated._arrived, gated._gate) = (inner, queue, arrived, gate);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IJobStore.FetchAsync) && args?[0] is FetchRequest request && request.Queue == _queue
            && Interlocked.Exchange(ref _held, 1) == 0)
            return HeldAsync(request, (CancellationToken)args[1]!);
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private async Task<IReadOnlyList<FetchedJob>> HeldAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        _arrived.TrySetResult();
        await _gate.WaitAsync(cancellationToken);
        return await _inner.FetchAsync(request, cancellationToken);
    }
}
