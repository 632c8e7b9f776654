using System.Data.Common;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Pacer.Storage;

namespace Pacer.Engine;

/// <summary>The effects ledger for one attempt: every record is written under the attempt's lease token.</summary>
internal sealed class JobEffects(IJobStore store, RunningJob job, TimeProvider time) : IJobEffects
{
    private CancellationToken Token => job.Cancellation.Token;

    public async Task<T> RunAsync<T>(string key, Func<CancellationToken, Task<T>> effect, EffectReconciler<T>? reconcile = null, TimeSpan? keepFor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(effect);
        CheckKeepFor(keepFor);
        var begin = await store.BeginEffectAsync(Request(key), Token);
        switch (begin.Outcome)
        {
            case EffectBeginOutcome.AlreadyDone:
                return Deserialize<T>(begin.Existing!.ResultJson);
            case EffectBeginOutcome.LeaseLost:
                throw new LeaseLostException($"Job {job.Job.Id} lost its lease; effect '{key}' was not run.");
            case EffectBeginOutcome.InDoubt:
                if (reconcile is null)
                    throw new EffectInDoubtException(
                        $"Effect '{key}' started in attempt {begin.Existing!.Attempt} and was never recorded as done. " +
                        "Pass a reconcile callback that checks whether it happened, so Pacer neither skips nor repeats it.");
                var verdict = await reconcile(begin.Existing!, Token);
                if (verdict.WasDone)
                {
                    await RecordDoneAsync(key, verdict.Result, keepFor);
                    return verdict.Result!;
                }
                var takeOver = await store.BeginEffectAsync(Request(key) with { TakeOverInDoubt = true }, Token);
                if (takeOver.Outcome == EffectBeginOutcome.AlreadyDone)
                    return Deserialize<T>(takeOver.Existing!.ResultJson);
                if (takeOver.Outcome != EffectBeginOutcome.Started)
                    throw new LeaseLostException($"Job {job.Job.Id} lost its lease; effect '{key}' was not run.");
                break;
        }
        T result;
        try
        {
            result = await effect(Token);
        }
        catch (EffectNotDoneException notDone)
        {
            // The effect says nothing happened outside: forget its start so the next attempt runs it instead of finding it
            // in doubt. Written even if the job's token fired meanwhile, as a "done" record would be.
            if (!await store.ForgetEffectAsync(Request(key), CancellationToken.None))
                throw new LeaseLostException($"Job {job.Job.Id} lost its lease after effect '{key}' failed; it stays in doubt for the next attempt to reconcile.", notDone);
            // The job fails with the failure itself (its type decides transient or permanent), not with this wrapper.
            if (notDone.InnerException is { } inner)
                ExceptionDispatchInfo.Throw(inner);
            throw;
        }
        await RecordDoneAsync(key, result, keepFor);
        return result;
    }

    public async Task<T> RunInStoreTransactionAsync<T>(string key, Func<DbTransaction, CancellationToken, Task<T>> write, TimeSpan? keepFor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(write);
        CheckKeepFor(keepFor);
        var outcome = await store.RunEffectInTransactionAsync(
            Done(key, keepFor),
            async (transaction, ct) => JsonSerializer.Serialize(await write(transaction, ct), JobKind.LenientJson),
            Token);
        return outcome.Outcome switch
        {
            EffectTransactionOutcome.Done or EffectTransactionOutcome.AlreadyDone => Deserialize<T>(outcome.ResultJson),
            _ => throw new LeaseLostException($"Job {job.Job.Id} lost its lease; effect '{key}' was rolled back."),
        };
    }

    // A store transaction that writes nothing but the record: the store commits the record with its "done".
    public Task<T> RecordAsync<T>(string key, T value, TimeSpan? keepFor = null) =>
        RunInStoreTransactionAsync(key, (_, _) => Task.FromResult(value), keepFor);

    public Task<EffectRecord?> GetAsync(string key) => store.GetEffectAsync(key, Token);

    private async Task RecordDoneAsync<T>(string key, T result, TimeSpan? keepFor)
    {
        // Recording "done" must not be skipped because the job's token fired after the effect happened.
        var json = JsonSerializer.Serialize(result, JobKind.LenientJson);
        if (!await store.CompleteEffectAsync(Done(key, keepFor), json, CancellationToken.None))
            throw new LeaseLostException($"Job {job.Job.Id} lost its lease after effect '{key}' ran; it stays in doubt for the next attempt to reconcile.");
    }

    private EffectRequest Request(string key) => new(key, job.Job.Id, job.LeaseToken, job.Job.Attempt, time.GetUtcNow());

    private EffectRequest Done(string key, TimeSpan? keepFor)
    {
        var request = Request(key);
        return keepFor is { } keep ? request with { ExpiresAt = request.Now + keep } : request;
    }

    private static void CheckKeepFor(TimeSpan? keepFor)
    {
        if (keepFor <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(keepFor), keepFor, "keepFor must be positive, or null to keep the record for good.");
    }

    private static T Deserialize<T>(string? json) =>
        json is null ? default! : JsonSerializer.Deserialize<T>(json, JobKind.LenientJson)!;
}
