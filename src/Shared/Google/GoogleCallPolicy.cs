using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Pacer.GoogleApis;

/// <summary>The retry and timeout settings of one API's calls, copied from its options when the client is registered.</summary>
internal sealed record CallPolicySettings(
    int MaxAttempts,
    TimeSpan RetryBaseDelay,
    TimeSpan RetryMaxDelay,
    TimeSpan AttemptTimeout,
    TimeSpan MaxWaitWhenLimited);

/// <summary>
/// How one API's calls are repeated, built once per client. Each attempt is a whole call (the request, through Pacer's
/// HTTP integration, which charges and paces it, then the answer's body), bounded by the attempt timeout. Around it:
/// <list type="number">
/// <item>A transient-failure retry with exponential backoff and jitter. <see cref="Reads"/> repeat 500, 502, 503, 504,
/// timeouts and network errors. <see cref="Writes"/> repeat only what never reached the server (no connection could be
/// made): a write that may have been applied is not sent again blindly; the caller reads back and decides.</item>
/// <item>Outermost, a wait for a resource that said "not now" (<see cref="ResourceUnavailableException"/>) with a known
/// time that is at most <see cref="CallPolicySettings.MaxWaitWhenLimited"/> away (a 429 of a per-minute quota, a rate
/// permit); longer waits (a used-up daily quota) are the caller's: in a job, the job waits without using an attempt.</item>
/// </list>
/// A 4xx answer is never repeated. The timeout and every delay run on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class GoogleCallPolicy
{
    private const int MaxLimitedWaits = 5;

    private readonly string _api;
    private readonly CallPolicySettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public GoogleCallPolicy(string api, CallPolicySettings settings, TimeProvider time, ILogger logger)
    {
        _api = api;
        _settings = settings;
        _time = time;
        _logger = logger;
        Reads = Build(idempotent: true);
        Writes = Build(idempotent: false);
    }

    /// <summary>For calls that change nothing (GET): every transient failure is repeated.</summary>
    public ResiliencePipeline Reads { get; }

    /// <summary>For calls that change something: only a failure to connect is repeated.</summary>
    public ResiliencePipeline Writes { get; }

    public CallPolicySettings Settings => _settings;

    /// <summary>A transient failure of a call that may safely be sent again.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        HttpRequestException { StatusCode: { } status } => IsTransientStatus(status),
        HttpRequestException { HttpRequestError: HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.UserAuthenticationError
            or HttpRequestError.VersionNegotiationError or HttpRequestError.ExtendedConnectNotSupported } => false,
        HttpRequestException => true,
        TimeoutRejectedException or TimeoutException => true,
        _ => false,
    };

    /// <summary>A failure that happened before the request reached the server: sending it again cannot apply it twice.</summary>
    public static bool NeverSent(Exception exception) => exception is TokenUnavailableException or HttpRequestException
    {
        StatusCode: null,
        HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError,
    };

    /// <summary>The statuses Google asks clients to retry with backoff.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>A failure in words for logs: statuses and categories only, never an exception's free text (it may quote a URL).</summary>
    public string Describe(Exception exception) => exception switch
    {
        HttpRequestException { StatusCode: { } status } => $"HTTP {(int)status}",
        HttpRequestException network => $"network error ({network.HttpRequestError})",
        TimeoutRejectedException => $"no answer within {Seconds(_settings.AttemptTimeout)}",
        TimeoutException => "timed out",
        ResourceUnavailableException limited => $"resource {limited.Resource} unavailable",
        _ => exception.GetType().Name,
    };

    private ResiliencePipeline Build(bool idempotent)
    {
        var builder = new ResiliencePipelineBuilder { Name = $"{_api}.{(idempotent ? "reads" : "writes")}", TimeProvider = _time };
        builder.AddRetry(new RetryStrategyOptions
        {
            Name = "wait-when-limited",
            MaxRetryAttempts = MaxLimitedWaits,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is ResourceUnavailableException limited && WaitFor(limited) is not null),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ResourceUnavailableException limited ? WaitFor(limited) : null),
            OnRetry = args =>
            {
                if (args.Outcome.Exception is ResourceUnavailableException limited)
                    LogWaiting(_logger, _api, args.Context.OperationKey ?? "", limited.Resource, args.RetryDelay.TotalMilliseconds);
                return default;
            },
        });
        if (_settings.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                Name = "transient",
                MaxRetryAttempts = _settings.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _settings.RetryBaseDelay,
                MaxDelay = _settings.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } failure && (idempotent ? IsTransient(failure) : NeverSent(failure))),
                OnRetry = args =>
                {
                    LogRetrying(_logger, _api, args.Context.OperationKey ?? "", Describe(args.Outcome.Exception!), args.AttemptNumber + 2,
                        _settings.MaxAttempts, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }
        return builder.AddTimeout(_settings.AttemptTimeout).Build();
    }

    /// <summary>How long to wait for a resource that said "not now", or null when that is unknown or too long to wait here.</summary>
    private TimeSpan? WaitFor(ResourceUnavailableException limited)
    {
        if (limited.RetryAt is not { } at)
            return null;
        var wait = at - _time.GetUtcNow();
        if (wait > _settings.MaxWaitWhenLimited)
            return null;
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>One line per answer: the path without its query (an API key may travel there), the status, the time, the cache.</summary>
    public void Answered(string operation, string path, HttpStatusCode status, TimeSpan elapsed, bool fromCache) =>
        LogAnswered(_logger, (int)status < 400 ? LogLevel.Debug : LogLevel.Information, _api, operation, path, (int)status, elapsed.TotalMilliseconds,
            fromCache ? " (revalidated from the cache)" : "");

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s");

    [LoggerMessage(Message = "{Api} {Operation} {Path} answered {Status} in {ElapsedMs:0} ms{Cache}")]
    private static partial void LogAnswered(ILogger logger, LogLevel level, string api, string operation, string path, int status, double elapsedMs, string cache);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Api} {Operation} failed ({Failure}); attempt {Attempt} of {MaxAttempts} in {DelayMs:0} ms")]
    private static partial void LogRetrying(ILogger logger, string api, string operation, string failure, int attempt, int maxAttempts, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Api} {Operation} waits {DelayMs:0} ms for resource {Resource}")]
    private static partial void LogWaiting(ILogger logger, string api, string operation, string resource, double delayMs);
}
