using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pacer.BuiltIn;

/// <summary>
/// Sends one HTTP request per attempt and turns the answer into the engine's outcomes: return (2xx), throw to retry
/// (5xx, 408, timeout, network error), <see cref="JobSnoozeException"/> (429 with Retry-After) or
/// <see cref="PermanentJobException"/> (any other answer).
/// </summary>
internal sealed partial class HttpJobHandler(IHttpClientFactory clients, TimeProvider time, ILoggerFactory loggers, IServiceProvider services) : IJobHandler<HttpJobArgs>
{
    private readonly ILogger _logger = loggers.CreateLogger("Pacer.BuiltIn.Http");

    // Optional: without a host (a bare service collection) secrets come from the environment alone.
    private readonly IConfiguration? _configuration = services.GetService<IConfiguration>();

    public async Task HandleAsync(HttpJobArgs args, JobContext context)
    {
        // The values of {secret:NAME} references: put in here, and scrubbed from every message this attempt writes.
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        if (!HttpJobArgs.TryParseUrl(SecretReferences.Resolve(args.Url, "url", _configuration, secrets), out var uri))
            throw new PermanentJobException("The url is not an absolute http or https URL."); // validated at enqueue; stored args may predate a rule
        var method = args.Method.ToUpperInvariant();
        // Never the query: it often carries tokens. A path may too (a webhook's secret path), so it is scrubbed.
        var target = SecretReferences.Scrub($"{uri.Host}{uri.AbsolutePath}", secrets);

        using var request = CreateRequest(args, uri, method, context.JobId, secrets);
        using var callTimeout = args.TimeoutSeconds is { } seconds ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds), time) : null;
        using var linked = callTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, callTimeout.Token);
        var token = linked?.Token ?? context.CancellationToken;

        var started = time.GetTimestamp();
        try
        {
            using var response = await clients.CreateClient(HttpJobDefaults.ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            var status = (int)response.StatusCode;
            var elapsed = time.GetElapsedTime(started);
            LogAnswered(_logger, response.IsSuccessStatusCode ? LogLevel.Debug : LogLevel.Information, method, target, status, elapsed.TotalMilliseconds);

            if (response.IsSuccessStatusCode)
                return;
            if (response.StatusCode == HttpStatusCode.TooManyRequests && RetryAfter(response) is { } wait)
                throw new JobSnoozeException(wait);
            // HTTP/2 and later carry no reason phrase.
            var answer = string.IsNullOrEmpty(response.ReasonPhrase)
                ? $"{method} {target} answered {status}"
                : $"{method} {target} answered {status} {response.ReasonPhrase}";
            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                throw new HttpRequestException($"{answer}; will retry.", null, response.StatusCode);
            // A server may echo what it was sent.
            var excerpt = SecretReferences.Scrub(await ExcerptAsync(response.Content, token), secrets);
            throw new PermanentJobException(excerpt.Length == 0 ? $"{answer}." : $"{answer}: {excerpt}");
        }
        catch (OperationCanceledException ex) when (callTimeout is { IsCancellationRequested: true } && !context.CancellationToken.IsCancellationRequested)
        {
            var elapsed = time.GetElapsedTime(started);
            LogTimedOut(_logger, method, target, elapsed.TotalMilliseconds);
            throw new TimeoutException($"{method} {target} did not answer within {args.TimeoutSeconds} s; will retry.", ex);
        }
    }

    private HttpRequestMessage CreateRequest(HttpJobArgs args, Uri uri, string method, long jobId, HashSet<string> secrets)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (args.Body is not null)
            request.Content = new StringContent(SecretReferences.Resolve(args.Body, "body", _configuration, secrets), Encoding.UTF8);
        foreach (var (name, stored) in args.Headers ?? new Dictionary<string, string>())
        {
            string value;
            try
            {
                value = SecretReferences.Resolve(stored, $"headers.{name}", _configuration, secrets);
            }
            catch (PermanentJobException)
            {
                request.Dispose();
                throw;
            }
            if (request.Headers.TryAddWithoutValidation(name, value))
                continue;
            if (request.Content is { } content)
            {
                // StringContent sets a default Content-Type; the caller's replaces it rather than joining it.
                content.Headers.Remove(name);
                if (content.Headers.TryAddWithoutValidation(name, value))
                    continue;
            }
            request.Dispose();
            throw new PermanentJobException($"Header '{name}' cannot be sent with this request.");
        }
        if (!request.Headers.Contains(HttpJobDefaults.IdempotencyKeyHeader))
            request.Headers.TryAddWithoutValidation(HttpJobDefaults.IdempotencyKeyHeader, HttpJobDefaults.IdempotencyKey(jobId));
        return request;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        TimeSpan? wait = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => null,
        };
        if (wait is not { } value)
            return null;
        if (value < TimeSpan.Zero)
            return TimeSpan.Zero;
        return value > HttpJobDefaults.MaxRetryAfter ? HttpJobDefaults.MaxRetryAfter : value;
    }

    /// <summary>The start of an error answer's body on one line, so the job's error says what the server said.</summary>
    private static async Task<string> ExcerptAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = new byte[HttpJobDefaults.ExcerptBytes];
        int read;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The status decides the outcome; a body that breaks off only costs the excerpt.
            return $"(body unreadable: {ex.Message})";
        }
        var text = new StringBuilder(HttpJobDefaults.ExcerptChars + 1);
        var lastWasSpace = false;
        foreach (var c in Encoding.UTF8.GetString(buffer, 0, read))
        {
            var space = char.IsWhiteSpace(c) || char.IsControl(c);
            if (space && (lastWasSpace || text.Length == 0))
                continue;
            text.Append(space ? ' ' : c);
            lastWasSpace = space;
            if (text.Length == HttpJobDefaults.ExcerptChars)
            {
                text.Append('…');
                break;
            }
        }
        return text.ToString().TrimEnd();
    }

    [LoggerMessage(Message = "HTTP {Method} {Target} answered {Status} in {ElapsedMs:F0} ms")]
    private static partial void LogAnswered(ILogger logger, LogLevel level, string method, string target, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Target} timed out after {ElapsedMs:F0} ms")]
    private static partial void LogTimedOut(ILogger logger, string method, string target, double elapsedMs);
}
