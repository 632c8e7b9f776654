using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacer.Admission;
using Pacer.Resources;
using Pacer.Storage;

namespace Pacer.Engine;

/// <summary>
/// The engine of one process: a producer per queue sharing one bounded worker pool, a heartbeat that keeps leases,
/// a completer that writes outcomes in batches, and maintenance on the elected leader.
/// </summary>
internal sealed partial class PacerEngine : IHostedService, IPacerEngine, IAsyncDisposable
{
    private readonly IJobStore _store;
    private readonly JobKindRegistry _registry;
    private readonly IServiceScopeFactory _scopes;
    private readonly PacerOptions _options;
    private readonly TimeProvider _time;
    private readonly IRandomSource _random;
    private readonly ResourceAdmission _admission;
    private readonly PacerResources _resources;
    private readonly WorkSignal _signal;
    private readonly AdmissionSettings _admissionSettings;
    private readonly RunningJobs _running;
    private readonly PacerTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly Completer _completer;
    private readonly Maintenance _maintenance;
    private readonly CancellationTokenSource _stopFetching = new();
    private readonly CancellationTokenSource _stopBackground = new();
    private readonly List<Task> _loops = [];
    private readonly List<Task> _producers = [];
    private readonly Dictionary<string, QueueSlots> _queues = new(StringComparer.Ordinal);
    private readonly AsyncSignal _idle = new();
    // Null on a test clock, which moves only when told: its waits go through it.
    private readonly PreciseDelay? _preciseDelay;
    private static readonly TimeSpan UnknownKindDelay = TimeSpan.FromMinutes(1);
    private int _free;
    private int _started;

    public PacerEngine(
        IJobStore store,
        JobKindRegistry registry,
        RecurringRegistry recurring,
        IServiceScopeFactory scopes,
        IOptions<PacerOptions> options,
        TimeProvider time,
        IRandomSource random,
        ResourceAdmission admission,
        PacerResources resources,
        WorkSignal signal,
        RunningJobs running,
        PacerTelemetry telemetry,
        PacerClient client,
        ILoggerFactory loggers)
    {
        _store = store;
        _registry = registry;
        _scopes = scopes;
        _options = options.Value;
        _time = time;
        _preciseDelay = ReferenceEquals(time, TimeProvider.System) ? new PreciseDelay() : null;
        _random = random;
        _admission = admission;
        _resources = resources;
        _signal = signal;
        _admissionSettings = AdmissionSettings.From(_options);
        _running = running;
        _telemetry = telemetry;
        _logger = loggers.CreateLogger("Pacer.Engine");
        WorkerId = _options.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
        _completer = new Completer(store, time, _logger, _options.CompletionBatchSize);
        _maintenance = new Maintenance(store, recurring, client, _options, time, random, signal, telemetry, resources, WorkerId, loggers.CreateLogger("Pacer.Maintenance"));
        var queues = _options.Queues.Count > 0 ? _options.Queues : new Dictionary<string, int> { ["default"] = _options.Concurrency };
        foreach (var (name, slots) in queues)
            _queues[name] = new QueueSlots(name, Math.Min(slots, _options.Concurrency), signal.For(name));
        _free = _options.Concurrency;
    }

    public string WorkerId { get; }

    public int RunningCount => _running.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
            return;
        var migration = await _store.MigrateAsync(cancellationToken);
        if (migration.Applied.Count > 0)
            LogMigrated(_logger, migration.FromVersion, migration.ToVersion);
        await _maintenance.RescueStoppedWorkersAsync(cancellationToken);
        _completer.Start();
        foreach (var queue in _queues.Values)
            _producers.Add(Task.Run(() => ProduceAsync(queue, _stopFetching.Token), CancellationToken.None));
        _loops.Add(Task.Run(() => HeartbeatAsync(_stopBackground.Token), CancellationToken.None));
        _loops.Add(Task.Run(() => _maintenance.RunAsync(_stopBackground.Token), CancellationToken.None));
        if (_store.Capabilities.SupportsListenNotify && _store is IJobStoreNotifications notifications)
            _loops.Add(Task.Run(() => ListenAsync(notifications, _stopBackground.Token), CancellationToken.None));
        LogStarted(_logger, WorkerId, _options.Concurrency, string.Join(",", _queues.Keys));
    }

    /// <summary>
    /// Graceful stop in two steps: stop fetching and let running jobs finish within <see cref="PacerOptions.ShutdownTimeout"/>
    /// (or until the host's token fires); then fire their tokens and wait the grace period. Outcomes are written
    /// either way; a job still running at the end keeps its lease until it expires and is rescued, so none is lost.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 2) != 1)
            return;
        await _stopFetching.CancelAsync();
        await Task.WhenAll(_producers);

        // Both waits run on the engine's clock and also end when the host runs out of patience.
        using (var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _time))
        using (var patience = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            await WaitForRunningAsync(patience.Token);
        if (_running.Count > 0)
        {
            LogCancellingOnShutdown(_logger, _running.Count);
            foreach (var job in _running.Snapshot())
                job.Stop(StopReason.Shutdown);
            using var grace = new CancellationTokenSource(_options.CancellationGracePeriod, _time);
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(grace.Token, cancellationToken);
            await WaitForRunningAsync(patience.Token);
        }
        await _completer.StopAsync();
        await _stopBackground.CancelAsync();
        await Task.WhenAll(_loops);
        await _maintenance.ResignAsync();
        if (_running.Count > 0)
            LogStoppedWithJobsHeld(_logger, WorkerId, _running.Count);
        else
            LogStopped(_logger, WorkerId);
    }

    public async Task WaitUntilDrainedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _idle.Reset();
            if (_running.Count == 0 && await NothingDueOrRunningAsync(cancellationToken))
                return;
            await Task.WhenAny(_idle.WaitAsync(), Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken));
        }
    }

    private async Task<bool> NothingDueOrRunningAsync(CancellationToken cancellationToken)
    {
        // Two indexed probes per queue rather than full statistics: this runs every few milliseconds while draining.
        var now = _time.GetUtcNow();
        // A paused queue's due jobs wait for a resume, as jobs scheduled for later wait for their time: not work to drain.
        var paused = (await _store.ListQueueStatesAsync(cancellationToken)).Where(q => q.Paused).Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var queue in _queues.Keys)
        {
            if (!QueueState.IsHeld(queue, paused) && (await _store.ListDueAsync(new ListDueRequest(queue, 1, now), cancellationToken)).Count > 0)
                return false;
            var running = await _store.ListAsync(new JobQuery { Queue = queue, States = [JobState.Running], Limit = 1 }, cancellationToken);
            if (running.Count > 0)
                return false;
        }
        return true;
    }

    private async Task WaitForRunningAsync(CancellationToken cancellationToken)
    {
        while (_running.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            _idle.Reset();
            if (_running.Count == 0)
                break;
            await Task.WhenAny(_idle.WaitAsync(), Task.Delay(Timeout.Infinite, cancellationToken));
        }
    }

    // ----- producer -----

    private async Task ProduceAsync(QueueSlots queue, CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            queue.Work.Reset();
            var want = Math.Min(queue.Capacity - Volatile.Read(ref queue.Running), Volatile.Read(ref _free));
            if (want <= 0)
            {
                // Full: wait for a slot, not for work. Slots given back (a job finishing, or another queue's producer
                // returning what its fetch did not use) wake only producers that wait like this, so a queue with nothing
                // due is not re-queried each time a job ends. The flag is published with a full fence before the slots
                // are read again, as ReturnSlots adds with one before it reads the flag: one of the two sees the other.
                Volatile.Write(ref queue.WaitingForSlots, true);
                Interlocked.MemoryBarrier();
                if (Math.Min(queue.Capacity - Volatile.Read(ref queue.Running), Volatile.Read(ref _free)) <= 0)
                    await WaitAsync(queue.Work.WaitAsync(), null, stopping);
                Volatile.Write(ref queue.WaitingForSlots, false);
                continue;
            }
            var taken = TakeSlots(want);
            IReadOnlyList<FetchedJob> fetched;
            DateTimeOffset? nextCheck = null;
            IReadOnlyDictionary<long, DateTimeOffset>? startAt = null;
            // Read before the fetch, so no later than the time the store starts the lease from: it surely holds until this plus its duration.
            var leaseHeldUntil = _time.GetUtcNow() + _options.LeaseDuration;
            try
            {
                (fetched, nextCheck, startAt) = await FetchAsync(queue, taken, stopping);
                failures = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                ReturnSlots(taken);
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                ReturnSlots(taken);
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(failures, 10))));
                LogFetchFailed(_logger, ex, queue.Name, backoff);
                await Task.Delay(backoff, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            ReturnSlots(taken - fetched.Count);
            foreach (var job in fetched)
            {
                Interlocked.Increment(ref queue.Running);
                DateTimeOffset? start = startAt is not null && startAt.TryGetValue(job.Job.Id, out var begin) ? begin : null;
                _ = Task.Run(() => ExecuteAsync(queue, job, start, leaseHeldUntil), CancellationToken.None);
            }
            if (fetched.Count == taken)
                continue; // there may be more: fetch again as slots allow
            var poll = _options.PollInterval * (0.9 + (0.2 * _random.NextDouble()));
            var now = _time.GetUtcNow();
            if (nextCheck is { } at && at - now < poll)
                poll = at - now;
            // A job this process put back for later (a snooze, a retry) is due then: look again at that moment rather
            // than at the next poll. Once that moment has passed it is forgotten (after one more look).
            if (queue.NextWake(now) is { } wake && wake - now < poll)
                poll = wake - now;
            await WaitAsync(queue.Work.WaitAsync(), poll > TimeSpan.Zero ? poll : TimeSpan.Zero, stopping);
        }
    }

    /// <summary>
    /// Wakes this process's producers when another process makes work available (the store's notices). Polling goes on
    /// regardless, so a lost connection only costs latency: listen again after a growing, jittered pause.
    /// </summary>
    private async Task ListenAsync(IJobStoreNotifications notifications, CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await notifications.ListenAsync(queue =>
                {
                    failures = 0;
                    if (queue is null)
                        _signal.NotifyAll();
                    else
                        _signal.Notify(queue);
                }, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 10))) * (0.8 + (0.4 * _random.NextDouble())));
                LogListenFailed(_logger, ex, backoff);
                await Task.Delay(backoff, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<(IReadOnlyList<FetchedJob>, DateTimeOffset?, IReadOnlyDictionary<long, DateTimeOffset>?)> FetchAsync(
        QueueSlots queue, int limit, CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        var request = new FetchRequest(queue.Name, limit, now, _options.LeaseDuration, WorkerId);
        if (_admission.Catalog.IsEmpty)
            return (await _store.FetchAsync(request, stopping), null, null);

        // Admission chooses among the due jobs inside the fetch transaction: a job that cannot start stays due or is
        // parked with its reason, and uses no attempt. Looking past the first few lets jobs on free resources go first.
        AdmissionDecision? decision = null;
        var result = await _store.FetchWithAdmissionAsync(
            new AdmissionFetchRequest(request, limit * 4, input => decision = _admission.Decide(input, limit)), stopping);
        if (result.Parked > 0)
            _telemetry.Parked.Add(result.Parked, PacerTelemetry.QueueTag(queue.Name));
        return (result.Jobs, result.NextCheckAt, decision?.StartAt);
    }

    private int TakeSlots(int want)
    {
        while (true)
        {
            var free = Volatile.Read(ref _free);
            var take = Math.Min(free, want);
            if (take <= 0 || Interlocked.CompareExchange(ref _free, free - take, free) == free)
                return Math.Max(take, 0);
        }
    }

    private void ReturnSlots(int count)
    {
        if (count <= 0)
            return;
        Interlocked.Add(ref _free, count);
        // A producer may have found every slot taken only because another queue's producer held them for its fetch:
        // without this wake it would wait for a job to finish, and with none running, for good.
        foreach (var waiting in _queues.Values)
        {
            if (Volatile.Read(ref waiting.WaitingForSlots))
                waiting.Work.Set();
        }
    }

    /// <summary>For tests: whether the queue's producer waits for a free slot.</summary>
    internal bool IsWaitingForSlots(string queue) => _queues.TryGetValue(queue, out var slots) && Volatile.Read(ref slots.WaitingForSlots);

    private async Task WaitAsync(Task signal, TimeSpan? timeout, CancellationToken stopping)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var delay = Task.Delay(timeout ?? Timeout.InfiniteTimeSpan, _time, cts.Token);
        await Task.WhenAny(signal, delay);
        await cts.CancelAsync();
    }

    // ----- executor -----

    private async Task ExecuteAsync(QueueSlots queue, FetchedJob fetched, DateTimeOffset? startAt, DateTimeOffset leaseHeldUntil)
    {
        var job = fetched.Job;
        _registry.TryGet(job.Kind, out var kind);
        var timeout = job.Timeout ?? kind?.Options.Timeout ?? _options.DefaultTimeout;
        using var running = new RunningJob(fetched, timeout, _time, leaseHeldUntil);
        _running.Add(running);
        // Admitted ahead of its rate permit (at most the admission lead): start exactly when the permit comes.
        if (startAt is { } at && at - _time.GetUtcNow() is { Ticks: > 0 } wait)
            await (_preciseDelay?.DelayAsync(wait) ?? Task.Delay(wait, _time));
        var tags = new TagList { PacerTelemetry.KindTag(job.Kind), PacerTelemetry.QueueTag(job.Queue) };
        var startedAt = _time.GetUtcNow();
        _telemetry.Started.Add(1, tags);
        var due = job.ScheduledAt > job.CreatedAt ? job.ScheduledAt : job.CreatedAt;
        _telemetry.QueueWait.Record(Math.Max(0, (startedAt - due).TotalSeconds), tags);

        using var scope = _logger.BeginScope(new JobLogScope(job.Id, job.Kind, job.Queue, job.Attempt));
        var resources = new JobResourceScope(job, () => running.LeaseHeldUntil);
        JobCompletion? completion;
        using (var activity = PacerTelemetry.StartExecution(job))
        {
            try
            {
                completion = await RunAttemptAsync(running, kind, resources);
                completion = await AfterAttemptAsync(running, resources, completion);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Only engine bugs land here; the handler's own exceptions are classified inside.
                LogEngineFault(_logger, ex, job.Id);
                completion = Failure(running, kind, ex, _time.GetUtcNow());
            }
            await RefundReservedAsync(job, resources);
            activity?.SetTag("pacer.job.outcome", completion?.Kind.ToString() ?? "lease-lost");
            if (completion?.Error is { } error)
                activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        }
        _telemetry.Duration.Record((_time.GetUtcNow() - startedAt).TotalSeconds, tags);

        // The slot is free as soon as the handler is done; the outcome is written in the next batch.
        Interlocked.Decrement(ref queue.Running);
        ReturnSlots(1);

        if (completion is not null)
        {
            try
            {
                var accepted = await _completer.CompleteAsync(completion);
                Count(completion, accepted, tags);
                if (accepted && completion.RunAt is { } runAt && completion.Wait is null && _queues.TryGetValue(job.Queue, out var own))
                    own.WakeAt(runAt);
                if (!accepted)
                    LogCompletionRejected(_logger, job.Id, completion.Kind);
                else if (completion.Release.Count > 0)
                    _signal.NotifyAll(); // the store woke jobs waiting on what this one held
            }
            catch (InvalidOperationException ex)
            {
                // The engine stopped before this handler returned: the job keeps its lease until it expires and
                // the rescuer hands it out again. Nothing is lost; the attempt is simply not recorded.
                LogOutcomeNotWritten(_logger, ex, job.Id);
            }
        }
        _running.Remove(running);
        if (_running.Count == 0)
            _idle.Set();
    }

    private async Task<JobCompletion?> RunAttemptAsync(RunningJob running, JobKind? kind, JobResourceScope resources)
    {
        var job = running.Job;
        if (kind is null)
        {
            // Usually a rolling deploy (a newer version enqueued a kind this worker does not know yet) or a tool
            // such as `pacer run` sharing a queue with an application: not the job's fault, so put it back for a
            // worker that knows it without using an attempt, and say so loudly.
            LogUnknownKind(_logger, job.Id, job.Kind, WorkerId, UnknownKindDelay);
            var putBackAt = _time.GetUtcNow();
            return new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Snooze, putBackAt) { RunAt = putBackAt + UnknownKindDelay };
        }

        var handlerTask = InvokeHandlerAsync(running, kind, resources);
        // A handler that ignores its token is given the grace period after the token fires, then abandoned:
        // its slot is reclaimed and the attempt recorded as failed. Its task runs on unobserved; we log its end.
        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ITimer? graceTimer = null;
        var grace = _options.CancellationGracePeriod;
        using (running.Cancellation.Token.UnsafeRegister(_ => graceTimer = _time.CreateTimer(
                   static s => ((TaskCompletionSource)s!).TrySetResult(), abandoned, grace, Timeout.InfiniteTimeSpan), null))
        {
            await Task.WhenAny(handlerTask, abandoned.Task);
        }
        graceTimer?.Dispose();

        var now = _time.GetUtcNow();
        if (!handlerTask.IsCompleted)
        {
            _telemetry.Abandoned.Add(1, PacerTelemetry.KindTag(job.Kind));
            LogAbandoned(_logger, job.Id, job.Kind, running.Reason, grace);
            _ = handlerTask.ContinueWith(
                t => LogAbandonedEnded(_logger, t.Exception?.GetBaseException(), job.Id),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return Stopped(running, kind, now, new TimeoutException(
                $"The handler did not return within {grace} after its token fired ({running.Reason}); its slot was reclaimed."));
        }

        if (handlerTask.IsCompletedSuccessfully)
            return new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Completed, now);

        // A handler that honours its token ends Canceled, not Faulted, and a canceled task carries no Exception.
        var error = handlerTask.IsCanceled ? new TaskCanceledException(handlerTask) : handlerTask.Exception!.GetBaseException();
        if (running.Reason != StopReason.None && error is OperationCanceledException)
            return Stopped(running, kind, now, error);
        return error switch
        {
            JobSnoozeException snooze => new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Snooze, now) { RunAt = now + snooze.Delay },
            LeaseLostException => null,
            ResourceUnavailableException unavailable => await WaitForResourceAsync(running, unavailable, now),
            _ => Failure(running, kind, error, now),
        };
    }

    /// <summary>The resource stopped the attempt: apply what it said, and let the job wait for it without using an attempt.</summary>
    private async Task<JobCompletion> WaitForResourceAsync(RunningJob running, ResourceUnavailableException unavailable, DateTimeOffset now)
    {
        var job = running.Job;
        var until = await _resources.ApplyAsync(unavailable, now + _admissionSettings.ParkAfter, CancellationToken.None);
        var resource = unavailable.Resource.Length > 0 ? unavailable.Resource : job.Claims.FirstOrDefault()?.Resource ?? "";
        LogWaitingForResource(_logger, job.Id, job.Kind, resource, until, unavailable.Message);
        // A refusal by the resource already reads "waiting for api quota ..."; a server's signal ("429 Too Many
        // Requests") is named after the resource.
        var reason = unavailable.Message.StartsWith("waiting for ", StringComparison.Ordinal) ? unavailable.Message : $"waiting for {resource}: {unavailable.Message}";
        return new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Snooze, now)
        {
            RunAt = until > now ? until : now,
            Wait = new ResourceWaitInfo(resource, reason),
        };
    }

    /// <summary>
    /// Resource bookkeeping of a finished attempt: breakers count its outcome, a failure while a breaker is open becomes
    /// a wait for it (the resource's fault, not the job's), and concurrency permits go back to the longest waiters.
    /// </summary>
    /// <summary>Quota the attempt reserved and did not spend goes back; a failure to say so only leaves the quota under-used.</summary>
    private async Task RefundReservedAsync(JobRecord job, JobResourceScope resources)
    {
        try
        {
            await _resources.RefundReservedAsync(resources, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRefundFailed(_logger, ex, job.Id);
        }
    }

    private async Task<JobCompletion?> AfterAttemptAsync(RunningJob running, JobResourceScope resources, JobCompletion? completion)
    {
        var job = running.Job;
        if (completion is null || job.Claims.Count == 0 || _admission.Catalog.IsEmpty)
            return completion;
        // A permanent failure is the job's own (bad input); anything else may be the resource's.
        var failed = completion.Kind is CompletionKind.Retry or CompletionKind.Discard && !running.FailedPermanently;
        if (completion.Kind == CompletionKind.Completed || failed)
        {
            var open = await _resources.RecordAttemptAsync(job, resources, success: !failed, CancellationToken.None);
            if (open is { } breaker)
            {
                LogWaitingForResource(_logger, job.Id, job.Kind, breaker.Resource, breaker.Until, "its circuit breaker is open");
                completion = new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Snooze, completion.At)
                {
                    RunAt = breaker.Until,
                    Wait = new ResourceWaitInfo(breaker.Resource, breaker.Reason),
                };
            }
        }
        var release = job.Claims.Where(c => _admission.Catalog.Find(c.Resource)?.Concurrency is not null).ToArray();
        return release.Length == 0 ? completion : completion with { Release = release };
    }

    private async Task InvokeHandlerAsync(RunningJob running, JobKind kind, JobResourceScope resources)
    {
        resources.Enter();
        await using var scope = _scopes.CreateAsyncScope();
        var args = kind.ParseForRun(running.Job.Args);
        var context = new JobContext(running.Job, running.Cancellation.Token, _logger, new JobEffects(_store, running, _time), () => running.LeaseHeldUntil);
        await kind.Invoke(scope.ServiceProvider, args, context);
    }

    /// <summary>The outcome when the job's token fired for a reason outside the handler.</summary>
    private JobCompletion? Stopped(RunningJob running, JobKind? kind, DateTimeOffset now, Exception error)
    {
        var job = running.Job;
        return running.Reason switch
        {
            StopReason.Cancelled => new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Cancel, now) { Error = ToError(job, error, now) },
            // Shutdown is not the job's fault: run it again without using an attempt.
            StopReason.Shutdown => new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Snooze, now) { RunAt = now },
            StopReason.LeaseLost => null,
            _ => Failure(running, kind, error is TimeoutException ? error : new TimeoutException(
                $"Job {job.Id} ({job.Kind}) exceeded its timeout of {job.Timeout ?? kind?.Options.Timeout ?? _options.DefaultTimeout}.", error), now),
        };
    }

    private JobCompletion Failure(RunningJob running, JobKind? kind, Exception error, DateTimeOffset now)
    {
        var job = running.Job;
        var jobError = ToError(job, error, now);
        running.FailedPermanently = error is PermanentJobException;
        if (error is PermanentJobException || job.Attempt >= job.MaxAttempts)
        {
            LogDiscarded(_logger, error, job.Id, job.Kind, job.Attempt, job.MaxAttempts);
            return new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Discard, now) { Error = jobError };
        }
        var delay = RetryBackoff.NextDelay(kind?.Options.Retry ?? _options.Retry, job.Attempt, _random);
        LogRetrying(_logger, error, job.Id, job.Kind, job.Attempt, job.MaxAttempts, delay);
        return new JobCompletion(job.Id, running.LeaseToken, CompletionKind.Retry, now) { RunAt = now + delay, Error = jobError };
    }

    private static JobError ToError(JobRecord job, Exception error, DateTimeOffset now) =>
        new(job.Attempt, now, error.GetType().FullName ?? error.GetType().Name, error.Message, error.StackTrace);

    private void Count(JobCompletion completion, bool accepted, TagList tags)
    {
        if (!accepted)
        {
            _telemetry.RejectedCompletions.Add(1, tags);
            return;
        }
        switch (completion.Kind)
        {
            case CompletionKind.Completed: _telemetry.Completed.Add(1, tags); break;
            case CompletionKind.Retry: _telemetry.Failed.Add(1, tags); _telemetry.Retried.Add(1, tags); break;
            case CompletionKind.Discard: _telemetry.Failed.Add(1, tags); _telemetry.Discarded.Add(1, tags); break;
            case CompletionKind.Snooze: _telemetry.Snoozed.Add(1, tags); break;
            case CompletionKind.Cancel: _telemetry.Cancelled.Add(1, tags); break;
        }
    }

    // ----- heartbeat -----

    private async Task HeartbeatAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            await Task.Delay(_options.EffectiveHeartbeat, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var jobs = _running.Snapshot();
            if (jobs.Count == 0)
                continue;
            try
            {
                var now = _time.GetUtcNow();
                var result = await _store.ExtendLeasesAsync(
                    new ExtendLeasesRequest([.. jobs.Select(j => new LeaseRef(j.Job.Id, j.LeaseToken))], now, now + _options.LeaseDuration),
                    stopping);
                var lost = result.Lost.ToHashSet();
                foreach (var job in jobs)
                {
                    if (!lost.Contains(job.Job.Id))
                        job.LeaseExtended(now + _options.LeaseDuration);
                }
                foreach (var id in result.CancelRequested)
                    _running.StopLocal(id, StopReason.Cancelled);
                foreach (var id in result.Lost)
                {
                    LogLeaseLost(_logger, id);
                    _running.StopLocal(id, StopReason.LeaseLost);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogHeartbeatFailed(_logger, ex, jobs.Count);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _started) == 1)
            await StopAsync(CancellationToken.None);
        _stopFetching.Dispose();
        _stopBackground.Dispose();
        _preciseDelay?.Dispose();
    }

    private sealed class QueueSlots(string name, int capacity, AsyncSignal work)
    {
        public string Name { get; } = name;
        public int Capacity { get; } = capacity;
        public AsyncSignal Work { get; } = work;
        public int Running;
        public bool WaitingForSlots;
        private long _wakeAt = long.MaxValue;

        /// <summary>Remembers the earliest time a job put back by this process is due, and wakes the producer to take it into account.</summary>
        public void WakeAt(DateTimeOffset at)
        {
            var ticks = at.UtcTicks;
            long current;
            while ((current = Interlocked.Read(ref _wakeAt)) > ticks && Interlocked.CompareExchange(ref _wakeAt, ticks, current) != current)
            {
                // another put-back raced this one; look again
            }
            Work.Set();
        }

        /// <summary>The remembered due time, if any; one already past is forgotten and returned as now (look once more).</summary>
        public DateTimeOffset? NextWake(DateTimeOffset now)
        {
            var ticks = Interlocked.Read(ref _wakeAt);
            if (ticks == long.MaxValue)
                return null;
            if (ticks > now.UtcTicks)
                return new DateTimeOffset(ticks, TimeSpan.Zero);
            Interlocked.CompareExchange(ref _wakeAt, long.MaxValue, ticks);
            return now;
        }
    }

    /// <summary>The scope every log line of a job carries.</summary>
    private sealed class JobLogScope(long id, string kind, string queue, int attempt) : IReadOnlyList<KeyValuePair<string, object>>
    {
        private readonly KeyValuePair<string, object>[] _items =
        [
            new("JobId", id), new("JobKind", kind), new("JobQueue", queue), new("JobAttempt", attempt),
        ];

        public KeyValuePair<string, object> this[int index] => _items[index];
        public int Count => _items.Length;
        public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object>>)_items).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _items.GetEnumerator();
        public override string ToString() => $"job {_items[0].Value} {_items[1].Value} queue={_items[2].Value} attempt={_items[3].Value}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pacer store migrated from version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, int from, int to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pacer worker {WorkerId} started: {Concurrency} slots, queues {Queues}")]
    private static partial void LogStarted(ILogger logger, string workerId, int concurrency, string queues);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pacer worker {WorkerId} stopped")]
    private static partial void LogStopped(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pacer worker {WorkerId} stopped with {Running} handlers still running past the grace period; their jobs will be rescued when their leases expire")]
    private static partial void LogStoppedWithJobsHeld(ILogger logger, string workerId, int running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout reached with {Count} jobs running; cancelling them")]
    private static partial void LogCancellingOnShutdown(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fetching jobs of queue {Queue} failed; retrying in {Backoff}")]
    private static partial void LogFetchFailed(ILogger logger, Exception exception, string queue, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine fault while running job {JobId}")]
    private static partial void LogEngineFault(ILogger logger, Exception exception, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Completion ({Kind}) of job {JobId} was rejected: this worker no longer holds its lease")]
    private static partial void LogCompletionRejected(ILogger logger, long jobId, CompletionKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} has kind '{Kind}', which worker {WorkerId} does not know; put back for {Delay} without using an attempt. Register the kind with AddJob, or give it a queue only its own workers serve")]
    private static partial void LogUnknownKind(ILogger logger, long jobId, string kind, string workerId, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} finished after the engine stopped; its outcome was not written and it will be rescued when its lease expires")]
    private static partial void LogOutcomeNotWritten(ILogger logger, Exception exception, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} ({Kind}) ignored cancellation ({Reason}) for {Grace}; its slot was reclaimed and the handler abandoned")]
    private static partial void LogAbandoned(ILogger logger, long jobId, string kind, StopReason reason, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Abandoned handler of job {JobId} finally returned")]
    private static partial void LogAbandonedEnded(ILogger logger, Exception? exception, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} ({Kind}) discarded after attempt {Attempt} of {MaxAttempts}")]
    private static partial void LogDiscarded(ILogger logger, Exception exception, long jobId, string kind, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ({Kind}) attempt {Attempt} of {MaxAttempts} failed; retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, long jobId, string kind, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) waits for resource {Resource} until {Until} without using an attempt: {Reason}")]
    private static partial void LogWaitingForResource(ILogger logger, long jobId, string kind, string resource, DateTimeOffset until, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving back the unspent quota job {JobId} reserved failed; the quota counts it as spent until its reset")]
    private static partial void LogRefundFailed(ILogger logger, Exception exception, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the lease of job {JobId}; its token fires and its outcome will not be written")]
    private static partial void LogLeaseLost(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for the store's work notices failed; polling meanwhile, listening again in {RetryIn}")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Error, Message = "Extending the leases of {Count} running jobs failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, int count);
}
