using Microsoft.AspNetCore.Http;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Pacer.BuiltIn;

namespace Pacer.Tests.BuiltIn;

public sealed class HttpJobTests : IAsyncLifetime
{
    private readonly BuiltInJobHarness _jobs = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _jobs.DisposeAsync();

    private static string Args(object args) => JsonSerializer.Serialize(args, JsonSerializerOptions.Web);

    [Fact]
    public async Task HandleAsync_2xx_CompletesAndSendsMethodHeadersAndBody()
    {
        await using var server = await TestHttpServer.StartAsync(202);

        await _jobs.RunAsync(BuiltInJobKinds.Http, Args(new
        {
            method = "post",
            url = server.Url("/hooks/orders?x=1"),
            headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Trace"] = "abc" },
            body = """{"order":1}""",
        }));

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/orders?x=1", request.PathAndQuery);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal("abc", request.Headers["X-Trace"]);
        Assert.Equal("""{"order":1}""", request.Body);
        Assert.Equal("pacer-42", request.Headers["Idempotency-Key"]);
    }

    [Fact]
    public async Task HandleAsync_DefaultMethod_IsGetWithoutBody()
    {
        await using var server = await TestHttpServer.StartAsync(200);

        await _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/ping") }));

        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("", request.Body);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(408)]
    public async Task HandleAsync_ServerErrorOrRequestTimeout_ThrowsRetryableException(int status)
    {
        await using var server = await TestHttpServer.StartAsync(status, body: "try later");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/flaky") })));

        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.IsNotType<PermanentJobException>(error);
    }

    [Fact]
    public async Task HandleAsync_429WithRetryAfterSeconds_SnoozesForThatLong()
    {
        await using var server = await TestHttpServer.StartAsync(429, r => r.Headers.RetryAfter = "7");

        var snooze = await Assert.ThrowsAsync<JobSnoozeException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/limited") })));

        Assert.Equal(TimeSpan.FromSeconds(7), snooze.Delay);
    }

    [Fact]
    public async Task HandleAsync_429WithRetryAfterDate_SnoozesUntilThatTimeOnTheEngineClock()
    {
        var until = BuiltInJobHarness.Start.AddSeconds(90);
        await using var server = await TestHttpServer.StartAsync(429, r => r.Headers.RetryAfter = until.ToString("r", System.Globalization.CultureInfo.InvariantCulture));

        var snooze = await Assert.ThrowsAsync<JobSnoozeException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/limited") })));

        Assert.Equal(TimeSpan.FromSeconds(90), snooze.Delay);
    }

    [Fact]
    public async Task HandleAsync_429WithRetryAfterInThePast_SnoozesForZero()
    {
        var past = BuiltInJobHarness.Start.AddMinutes(-5);
        await using var server = await TestHttpServer.StartAsync(429, r => r.Headers.RetryAfter = past.ToString("r", System.Globalization.CultureInfo.InvariantCulture));

        var snooze = await Assert.ThrowsAsync<JobSnoozeException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/limited") })));

        Assert.Equal(TimeSpan.Zero, snooze.Delay);
    }

    [Fact]
    public async Task HandleAsync_429WithHugeRetryAfter_IsCappedAtOneDay()
    {
        await using var server = await TestHttpServer.StartAsync(429, r => r.Headers.RetryAfter = "99999999");

        var snooze = await Assert.ThrowsAsync<JobSnoozeException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/limited") })));

        Assert.Equal(TimeSpan.FromDays(1), snooze.Delay);
    }

    [Fact]
    public async Task HandleAsync_429WithoutRetryAfter_ThrowsRetryableException()
    {
        await using var server = await TestHttpServer.StartAsync(429);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/limited") })));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task HandleAsync_Other4xx_ThrowsPermanentWithStatusAndBodyExcerpt(int status)
    {
        await using var server = await TestHttpServer.StartAsync(status, body: "no such\r\n   order: 17");

        var error = await Assert.ThrowsAsync<PermanentJobException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { method = "DELETE", url = server.Url("/orders/17?token=s3cret") })));

        Assert.StartsWith($"DELETE 127.0.0.1/orders/17 answered {status} ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": no such order: 17", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_LongErrorBody_KeepsAShortExcerpt()
    {
        await using var server = await TestHttpServer.StartAsync(404, body: new string('x', 50_000));

        var error = await Assert.ThrowsAsync<PermanentJobException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/missing") })));

        Assert.EndsWith(new string('x', 200) + "…", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 300, error.Message);
    }

    [Fact]
    public async Task HandleAsync_EveryAttemptOfOneJob_SendsTheSameIdempotencyKey()
    {
        var calls = 0;
        await using var server = await TestHttpServer.StartAsync(context =>
        {
            context.Response.StatusCode = Interlocked.Increment(ref calls) < 3 ? 503 : 200;
            return Task.CompletedTask;
        });
        var args = Args(new { method = "POST", url = server.Url("/pay"), body = "1" });

        await Assert.ThrowsAsync<HttpRequestException>(() => _jobs.RunAsync(BuiltInJobKinds.Http, args, jobId: 7, attempt: 1));
        await Assert.ThrowsAsync<HttpRequestException>(() => _jobs.RunAsync(BuiltInJobKinds.Http, args, jobId: 7, attempt: 2));
        await _jobs.RunAsync(BuiltInJobKinds.Http, args, jobId: 7, attempt: 3);
        await _jobs.RunAsync(BuiltInJobKinds.Http, args, jobId: 8, attempt: 1);

        var keys = server.Requests.Select(r => r.Headers["Idempotency-Key"]).ToArray();
        Assert.Equal(["pacer-7", "pacer-7", "pacer-7", "pacer-8"], keys);
    }

    [Fact]
    public async Task HandleAsync_IdempotencyKeyInHeaders_IsSentInstead()
    {
        await using var server = await TestHttpServer.StartAsync(200);

        await _jobs.RunAsync(BuiltInJobKinds.Http, Args(new
        {
            method = "POST",
            url = server.Url("/pay"),
            headers = new Dictionary<string, string> { ["idempotency-key"] = "order-17" },
        }));

        Assert.Equal("order-17", Assert.Single(server.Requests).Headers["Idempotency-Key"]);
    }

    [Fact]
    public async Task HandleAsync_NoAnswerWithinTimeoutSeconds_ThrowsRetryableTimeout()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
        try
        {
            var run = _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/slow"), timeoutSeconds = 2.5 }));
            await server.WaitForRequestAsync();
            _jobs.Time.Advance(TimeSpan.FromSeconds(2));
            Assert.False(run.IsCompleted);
            _jobs.Time.Advance(TimeSpan.FromSeconds(1));

            var error = await Assert.ThrowsAsync<TimeoutException>(() => run);
            Assert.Contains("2.5 s", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task HandleAsync_JobTokenFires_ThrowsCancellationNotTimeout()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        });
        using var job = new CancellationTokenSource();
        try
        {
            var run = _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/slow"), timeoutSeconds = 60 }), cancellationToken: job.Token);
            await server.WaitForRequestAsync();
            await job.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task HandleAsync_ConnectionRefused_ThrowsRetryableNetworkError()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = $"http://127.0.0.1:{port}/down" })));

        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_Logs_NameMethodHostPathAndStatusButNoHeaderValuesOrQuery()
    {
        await using var server = await TestHttpServer.StartAsync(200);

        await _jobs.RunAsync(BuiltInJobKinds.Http, Args(new
        {
            method = "POST",
            url = server.Url("/hooks/a?api_key=query-secret"),
            headers = new Dictionary<string, string> { ["Authorization"] = "Bearer header-secret" },
            body = "{}",
        }));

        var lines = _jobs.Logs.Lines;
        Assert.Contains(lines, l => l.Contains("POST 127.0.0.1/hooks/a answered 200", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("header-secret", StringComparison.Ordinal) || l.Contains("query-secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandleAsync_SecretReferences_AreResolvedAsItSends_AndNeverWrittenToLogsOrErrors()
    {
        await using var jobs = new BuiltInJobHarness(new Dictionary<string, string?> { ["Secrets:HOOK_TOKEN"] = "tok-7f3a", ["Secrets:HOOK_PATH"] = "T0/B1/path-9c" });
        await using var server = await TestHttpServer.StartAsync(async context =>
        {
            // A server that echoes what it got, as some error pages do.
            context.Response.StatusCode = 403;
            await context.Response.WriteAsync($"denied for {context.Request.Headers.Authorization} at {context.Request.Path}");
        });
        var args = Args(new
        {
            method = "POST",
            url = server.Url("/services/{secret:HOOK_PATH}?key={secret:HOOK_TOKEN}"),
            headers = new Dictionary<string, string> { ["Authorization"] = "Bearer {secret:HOOK_TOKEN}" },
            body = """{"token":"{secret:HOOK_TOKEN}"}""",
        });
        jobs.Parse(BuiltInJobKinds.Http, args); // a reference is what may be stored

        var error = await Assert.ThrowsAsync<PermanentJobException>(() => jobs.RunAsync(BuiltInJobKinds.Http, args));

        var request = Assert.Single(server.Requests);
        Assert.Equal("Bearer tok-7f3a", request.Headers["Authorization"]);
        Assert.Equal("/services/T0/B1/path-9c?key=tok-7f3a", request.PathAndQuery);
        Assert.Equal("""{"token":"tok-7f3a"}""", request.Body);
        Assert.DoesNotContain("tok-7f3a", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("path-9c", error.Message, StringComparison.Ordinal);
        Assert.Contains("POST 127.0.0.1/services/*** answered 403", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(jobs.Logs.Lines, l => l.Contains("tok-7f3a", StringComparison.Ordinal) || l.Contains("path-9c", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandleAsync_SecretTheWorkerDoesNotHave_FailsForGood_NamingItAndWhereToSetIt()
    {
        await using var server = await TestHttpServer.StartAsync(200);

        var error = await Assert.ThrowsAsync<PermanentJobException>(() => _jobs.RunAsync(BuiltInJobKinds.Http, Args(new
        {
            url = server.Url("/hook"),
            headers = new Dictionary<string, string> { ["X-Api-Key"] = "{secret:NOT_SET_ANYWHERE_1}" },
        })));

        Assert.Equal("headers.X-Api-Key refers to the secret NOT_SET_ANYWHERE_1, which this worker does not have: set Secrets:NOT_SET_ANYWHERE_1 " +
            "in the worker's configuration or the environment variable PACER_SECRET_NOT_SET_ANYWHERE_1.", error.Message);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("""{"url":"https://example.org/hook","headers":{"Authorization":"Bearer abc123"}}""", "'Authorization' holds a credential")]
    [InlineData("""{"url":"https://example.org/hook","headers":{"X-Api-Key":"abc123"}}""", "'X-Api-Key' holds a credential")]
    [InlineData("""{"url":"https://example.org/hook","headers":{"Cookie":"session=abc123"}}""", "'Cookie' holds a credential")]
    [InlineData("""{"url":"https://example.org/hook?key=abc123"}""", "the query parameter 'key' holds a credential")]
    [InlineData("""{"url":"https://example.org/hook?a=1&access_token=abc123"}""", "the query parameter 'access_token' holds a credential")]
    public void Parse_LiteralCredential_IsRefused_SayingHowToReferToASecret(string json, string expected)
    {
        var error = Assert.Throws<JobArgsException>(() => _jobs.Parse(BuiltInJobKinds.Http, json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("{secret:", error.Message, StringComparison.Ordinal);
        Assert.Contains("PACER_SECRET_", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abc123", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"url":"https://example.org/hook","headers":{"Authorization":"Bearer {secret:HOOK_TOKEN}"}}""")]
    [InlineData("""{"url":"https://example.org/hook?key={secret:YT_KEY}&part=id"}""")]
    [InlineData("""{"url":"https://example.org/hook","headers":{"X-Request-Id":"r-1","Idempotency-Key":"order-17"}}""")]
    public void Parse_SecretReferencesAndPlainHeaders_AreAccepted(string json)
    {
        _jobs.Parse(BuiltInJobKinds.Http, json);
    }

    [Fact]
    public async Task HandleAsync_LiteralCredentialStoredBeforeTheRule_StillRuns()
    {
        await using var server = await TestHttpServer.StartAsync(200);

        await _jobs.RunAsync(BuiltInJobKinds.Http, Args(new { url = server.Url("/hook"), headers = new Dictionary<string, string> { ["Authorization"] = "Bearer old" } }));

        Assert.Equal("Bearer old", Assert.Single(server.Requests).Headers["Authorization"]);
    }

    [Theory]
    [InlineData("""{}""", "url")]
    [InlineData("""{"url":null}""", "url")]
    [InlineData("""{"url":"/relative/path"}""", "url")]
    [InlineData("""{"url":"ftp://example.org/file"}""", "url")]
    [InlineData("""{"url":"not a url"}""", "url")]
    [InlineData("""{"url":"https://user:pass@example.org/"}""", "url")]
    [InlineData("""{"url":"https://example.org","method":"GE T"}""", "method")]
    [InlineData("""{"url":"https://example.org","timeoutSeconds":0}""", "timeoutSeconds")]
    [InlineData("""{"url":"https://example.org","headers":{"Bad Name":"v"}}""", "headers")]
    [InlineData("""{"url":"https://example.org","headers":{"Content-Type":"application/json"}}""", "headers")]
    [InlineData("""{"url":"https://example.org","headers":{"Content-Length":"5"}}""", "headers")]
    [InlineData("""{"url":"https://example.org","verb":"POST"}""", "verb")]
    public void Parse_BadArguments_ThrowsJobArgsExceptionNamingTheField(string json, string field)
    {
        var error = Assert.Throws<JobArgsException>(() => _jobs.Parse(BuiltInJobKinds.Http, json));

        Assert.Contains(field, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("pass@", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HeaderValueWithLineBreak_IsRejectedWithoutEchoingTheValue()
    {
        var error = Assert.Throws<JobArgsException>(() => _jobs.Parse(BuiltInJobKinds.Http,
            """{"url":"https://example.org","headers":{"X-Token":"secret-value\r\nX-Injected: 1"}}"""));

        Assert.Contains("X-Token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FullArguments_RoundTripsAsTypedArgs()
    {
        var args = Assert.IsType<HttpJobArgs>(_jobs.Parse(BuiltInJobKinds.Http,
            """{"method":"PUT","url":"https://example.org/x","headers":{"Content-Type":"text/csv"},"body":"a,b","timeoutSeconds":1.5}"""));

        Assert.Equal("PUT", args.Method);
        Assert.Equal("https://example.org/x", args.Url);
        Assert.Equal("text/csv", args.Headers!["Content-Type"]);
        Assert.Equal("a,b", args.Body);
        Assert.Equal(1.5, args.TimeoutSeconds);
    }
}
