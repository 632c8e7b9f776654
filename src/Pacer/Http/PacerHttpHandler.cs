using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Timeout;
using Pacer.Resources;
using Pacer.Storage;

namespace Pacer.Http;

/// <summary>
/// The HTTP integration: charges each call to its resource (waiting for a permit when the job's admission did not
/// already pay for it), turns the server's limit signals into resource feedback, counts failures for the breaker,
/// applies a per-call timeout, and answers unchanged GETs from the store's conditional-request cache.
/// </summary>
internal sealed partial class PacerHttpHandler : DelegatingHandler
{
    /// <summary>Marks an answer served from the cache after a 304.</summary>
    public const string CacheHeader = "X-Pacer-Cache";

    private readonly ResourceCatalogSource _catalogs;
    private readonly Lazy<PacerResources> _lazyResources;
    private readonly Lazy<IJobStore> _lazyStore;
    private readonly PacerHttpOptions _options;
    private readonly PacerTelemetry _telemetry;
    private readonly SendPacer _pacer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <remarks>The store is resolved on the first call that needs it, so a client whose calls match no resource works without one.</remarks>
    public PacerHttpHandler(IServiceProvider services, PacerHttpOptions options)
    {
        _catalogs = services.GetRequiredService<ResourceCatalogSource>();
        _lazyResources = new(services.GetRequiredService<PacerResources>);
        _lazyStore = new(services.GetRequiredService<IJobStore>);
        _options = options;
        _telemetry = services.GetRequiredService<PacerTelemetry>();
        _pacer = services.GetRequiredService<SendPacer>();
        _time = services.GetRequiredService<TimeProvider>();
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Pacer.Http");
        if (options.Resource is { } name && _catalogs.Current.Find(name) is null)
            throw new InvalidOperationException($"PacerHttpOptions.Resource is '{name}', which is not configured under Pacer:Resources.");
    }

    private PacerResources Resources => _lazyResources.Value;

    private IJobStore Store => _lazyStore.Value;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var catalog = _catalogs.Current;
        var definition = _options.Resource is { } explicitName ? catalog.Find(explicitName) : catalog.ForUri(uri);
        var resource = _options.Resource ?? definition?.Name;
        var cacheable = _options.ConditionalCache && request.Method == HttpMethod.Get && !PacerHttpCache.IsBypassed;
        if (definition is null && !cacheable)
        {
            EnsureLeaseHeld(request);
            return await base.SendAsync(request, cancellationToken);
        }

        // What the call costs the resource: paid before it is sent, given back to the count if the server refuses it for quota.
        var cost = definition?.Costs.CostOf(request.Method.Method, uri.AbsolutePath) ?? 0;
        if (definition is not null)
        {
            await PayAsync(resource!, definition, cost, request, cancellationToken);
            await _pacer.WaitTurnAsync(resource!, definition, cost, cancellationToken);
        }

        HttpCacheEntry? cached = null;
        var key = cacheable ? CacheKey(request) : null;
        if (key is not null)
        {
            cached = await Store.GetHttpCacheAsync(key, cancellationToken);
            if (cached?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var tag))
                request.Headers.IfNoneMatch.Add(tag);
            else if (cached?.LastModified is { } modified && DateTimeOffset.TryParse(modified, out var since))
                request.Headers.IfModifiedSince = since;
        }

        HttpResponseMessage response;
        EnsureLeaseHeld(request);
        var sentAt = _time.GetUtcNow();
        try
        {
            response = await SendWithTimeoutAsync(request, definition, cancellationToken);
        }
        catch (Exception ex) when (resource is not null && ex is HttpRequestException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            Count(resource, "failure");
            await ReportOutcomeAsync(resource, success: false, cancellationToken);
            throw;
        }
        catch (OperationCanceledException) when (resource is not null && cancellationToken.IsCancellationRequested)
        {
            // The caller gave up (its own timeout, a cancelled job): the call was sent and paid for, so it counts, but it
            // says nothing about the resource's health.
            Count(resource, "cancelled");
            throw;
        }

        if (resource is not null)
            response = await JudgeAsync(resource, cost, sentAt, response, cancellationToken);

        if (key is null)
            return response;
        if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
        {
            response.Dispose();
            _telemetry.CacheHits.Add(1, new KeyValuePair<string, object?>("pacer.resource", resource ?? uri.Host));
            return FromCache(cached, request);
        }
        if (response.StatusCode == HttpStatusCode.OK && (response.Headers.ETag is not null || response.Content.Headers.LastModified is not null))
            return await StoreAsync(key, request, response, cancellationToken);
        return response;
    }

    /// <summary>
    /// Spends what the running job prepaid for this resource (its claim), and takes permits for the rest (waiting if it is
    /// soon); quota the job reserved pays the quota part of those permits.
    /// </summary>
    private async Task PayAsync(string resource, ResourceDefinition definition, int cost, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scope = JobResourceScope.Current;
        var needed = scope?.UsePrepaid(resource, cost) ?? cost;
        if (needed == 0)
            return;
        var reserved = scope?.UseReserved(resource, needed) ?? 0;
        var result = await Resources.TryAcquireAsync(resource, needed, PacerResources.MaxAcquireWait, cancellationToken, quotaPaid: reserved, reservedBy: scope?.Job);
        if (!result.Granted)
        {
            scope?.ReturnReserved(resource, reserved);
            Count(resource, "refused");
            throw new ResourceUnavailableException(resource, result.Reason, result.RetryAt);
        }
        // A concurrency permit taken for one call goes back when the call is done; the answer is already in hand then.
        if (definition.Concurrency is not null)
            request.Options.Set(HeldLease, result.Lease!);
    }

    private static readonly HttpRequestOptionsKey<System.Threading.RateLimiting.RateLimitLease> HeldLease = new("Pacer.Lease");

    /// <summary>
    /// A call made for a job leaves only while the attempt surely holds its lease: past it, another worker may run the job
    /// (this process was paused, or waited here for permits longer than a heartbeat could cover) and the call would be
    /// made twice. Its permit is spent; the call is not.
    /// </summary>
    private void EnsureLeaseHeld(HttpRequestMessage request)
    {
        if (JobResourceScope.Current?.LeaseExpiresAt is { } leaseExpiresAt && _time.GetUtcNow() >= leaseExpiresAt())
        {
            // The host only: a path can hold a secret (a webhook's), and {secret:NAME} references are resolved by now.
            throw new LeaseLostException($"A {request.Method} call to {request.RequestUri!.Host} was not sent: the job's lease may have run out (was this process paused?).");
        }
    }

    private async Task<HttpResponseMessage> SendWithTimeoutAsync(HttpRequestMessage request, ResourceDefinition? definition, CancellationToken cancellationToken)
    {
        try
        {
            var timeout = _options.CallTimeout ?? definition?.CallTimeout;
            if (timeout is null)
                return await base.SendAsync(request, cancellationToken);
            var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }.AddTimeout(timeout.Value).Build();
            try
            {
                return await pipeline.ExecuteAsync(async token => await base.SendAsync(request, token), cancellationToken);
            }
            catch (TimeoutRejectedException ex)
            {
                throw new TimeoutException($"{request.Method} {request.RequestUri!.Host}{request.RequestUri.AbsolutePath} did not answer within {ResourceSyntax.Format(timeout.Value)}.", ex);
            }
        }
        finally
        {
            if (request.Options.TryGetValue(HeldLease, out var lease))
                lease.Dispose();
        }
    }

    /// <summary>Reports what the answer says about the resource; a limit signal becomes an exception (by default) so the job waits.</summary>
    /// <param name="cost">What the call was charged: refused for a used-up quota, the server did not spend it.</param>
    /// <param name="sentAt">When the call was sent: an accepted one sent after a pause ends the resource's 429 streak.</param>
    private async Task<HttpResponseMessage> JudgeAsync(string resource, int cost, DateTimeOffset sentAt, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body = [];
        // A body declared longer than an API's error body is passed on as it streams, unsearched.
        if (ApiErrors.NeedsBody(response.StatusCode) && !(response.Content.Headers.ContentLength > ApiErrors.MaxErrorBody))
            body = await BufferBodyAsync(response, cancellationToken);
        // The caller gets the whole body; a long one is not an API's error body, so it is not searched.
        var searched = body.Length <= ApiErrors.MaxErrorBody ? body : [];
        var (verdict, retryAfter, reason) = ApiErrors.Classify(response, searched, _time.GetUtcNow());
        Count(resource, verdict.ToString().ToLowerInvariant());
        switch (verdict)
        {
            case CallVerdict.Limited:
            {
                var until = await Resources.ReportLimitedAsync(resource, retryAfter, reason, cancellationToken);
                LogLimited(_logger, resource, reason, until);
                if (_options.ThrowWhenLimited)
                {
                    response.Dispose();
                    throw new ResourceUnavailableException(resource, reason, until);
                }
                return response;
            }
            case CallVerdict.QuotaExhausted:
            {
                var until = await Resources.ReportQuotaExhaustedAsync(resource, reason, cost, cancellationToken);
                LogQuotaExhausted(_logger, resource, reason, until);
                if (_options.ThrowWhenLimited)
                {
                    response.Dispose();
                    throw new ResourceUnavailableException(resource, reason, until);
                }
                return response;
            }
            case CallVerdict.Failure:
                await ReportOutcomeAsync(resource, success: false, cancellationToken);
                return response;
            default:
                Resources.NoteAccepted(resource, sentAt);
                await ReportOutcomeAsync(resource, success: true, cancellationToken);
                return response;
        }
    }

    private async Task ReportOutcomeAsync(string resource, bool success, CancellationToken cancellationToken)
    {
        if (_catalogs.Current.Find(resource)?.Breaker is null)
            return;
        JobResourceScope.Current?.MarkReported(resource);
        await Resources.RecordOutcomeAsync(resource, success, cancellationToken);
    }

    // ----- conditional-request cache -----

    /// <summary>
    /// A hash of what makes two GETs the same: method, URL and who asks (the credentials sent, or the caller's
    /// <see cref="PacerHttpCache.Identity"/>), so one account never sees another's answer.
    /// </summary>
    private static string CacheKey(HttpRequestMessage request)
    {
        var text = new StringBuilder().Append(request.Method.Method).Append(' ').Append(request.RequestUri!.AbsoluteUri);
        if (request.Options.TryGetValue(PacerHttpCache.Identity, out var identity))
            text.Append("\nidentity ").Append(identity);
        else if (request.Headers.Authorization is { } authorization)
            text.Append('\n').Append(authorization);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private async Task<HttpResponseMessage> StoreAsync(string key, HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // A body declared too big to keep is passed on as it streams; one of unknown length is read to find out (the caller
        // reads it whole anyway) and passed on whole, kept only if it fits.
        if (response.Content.Headers.ContentLength > _options.MaxCachedBodyBytes)
            return response;
        var body = await BufferBodyAsync(response, cancellationToken);
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Content.Headers)
            headers[header.Key] = [.. header.Value];
        foreach (var name in new[] { "ETag", "Last-Modified", "Cache-Control" })
        {
            if (response.Headers.TryGetValues(name, out var values))
                headers[name] = [.. values];
        }
        if (body.Length > _options.MaxCachedBodyBytes)
            return response;
        var uri = request.RequestUri!;
        await Store.PutHttpCacheAsync(new HttpCacheEntry(
            key,
            uri.GetLeftPart(UriPartial.Path), // never the query: it may hold an API key
            response.Headers.ETag?.ToString(),
            response.Content.Headers.LastModified?.ToString("R"),
            (int)response.StatusCode,
            JsonSerializer.Serialize(headers, HttpJson.Default.DictionaryStringStringArray),
            body,
            _time.GetUtcNow()), cancellationToken);
        return response;
    }

    private static HttpResponseMessage FromCache(HttpCacheEntry entry, HttpRequestMessage request)
    {
        var response = new HttpResponseMessage((HttpStatusCode)entry.Status) { RequestMessage = request, Content = new ByteArrayContent(entry.Body) };
        var headers = JsonSerializer.Deserialize(entry.Headers, HttpJson.Default.DictionaryStringStringArray) ?? [];
        foreach (var (name, values) in headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, values))
                response.Content.Headers.TryAddWithoutValidation(name, values);
        }
        response.Headers.TryAddWithoutValidation(CacheHeader, "revalidated");
        return response;
    }

    /// <summary>Reads the whole body and puts it back, with the same content headers, for the caller to read.</summary>
    private static async Task<byte[]> BufferBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(response.Content, cancellationToken);
        var content = new ByteArrayContent(body);
        foreach (var header in response.Content.Headers)
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content = content;
        return body;
    }

    /// <summary>
    /// The whole body, in one array of its size: read straight into it when the length is declared, else through pooled
    /// buffers and copied once. (A MemoryStream and a read chunk cost three arrays of the body's size per call, a sixth
    /// of everything a channel sync allocated.)
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        if (content.Headers.ContentLength is long declared and <= int.MaxValue)
        {
            var body = new byte[declared];
            // A body that ends early fails here, as HttpClient would fail it (the connection closed mid-answer).
            await stream.ReadExactlyAsync(body, cancellationToken);
            return body;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var length = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(checked(buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Count(string resource, string outcome) =>
        _telemetry.HttpCalls.Add(1, new KeyValuePair<string, object?>("pacer.resource", resource), new KeyValuePair<string, object?>("pacer.outcome", outcome));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resource {Resource} said to slow down ({Reason}); paused until {Until}")]
    private static partial void LogLimited(ILogger logger, string resource, string reason, DateTimeOffset until);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resource {Resource} quota is used up ({Reason}); nothing is spent on it until {Until}")]
    private static partial void LogQuotaExhausted(ILogger logger, string resource, string reason, DateTimeOffset until);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string[]>))]
internal sealed partial class HttpJson : System.Text.Json.Serialization.JsonSerializerContext;
