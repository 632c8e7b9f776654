using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pacer.Http;

namespace Pacer.Tests.Http;

/// <summary>The limit signals of the APIs Pacer's users call, from bodies as the services send them (../shared/reference/external-apis.md).</summary>
public sealed class ApiErrorsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 30, TimeSpan.Zero);

    private static (CallVerdict, TimeSpan?, string) Classify(HttpStatusCode status, string body = "", Action<HttpResponseMessage>? headers = null)
    {
        using var response = new HttpResponseMessage(status);
        headers?.Invoke(response);
        return ApiErrors.Classify(response, Encoding.UTF8.GetBytes(body), Now);
    }

    [Fact]
    public void YouTubeQuotaExceeded_IsQuotaExhausted()
    {
        const string body = """
            {"error":{"code":403,"message":"The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
             "errors":[{"message":"The request cannot be completed because you have exceeded your quota.","domain":"youtube.quota","reason":"quotaExceeded"}]}}
            """;
        var (verdict, retryAfter, reason) = Classify(HttpStatusCode.Forbidden, body);
        Assert.Equal(CallVerdict.QuotaExhausted, verdict);
        Assert.Null(retryAfter);
        // Shown as plain text (pauses, wait reasons): the message's link is dropped, its words kept.
        Assert.Equal("403 quotaExceeded: The request cannot be completed because you have exceeded your quota.", reason);
    }

    [Fact]
    public void GoogleUserRateLimitExceeded_IsLimited()
    {
        const string body = """{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}]}}""";
        Assert.Equal(CallVerdict.Limited, Classify(HttpStatusCode.Forbidden, body).Item1);
    }

    [Fact]
    public void SheetsResourceExhaustedPerMinute_WaitsForTheNextMinute()
    {
        const string body = """
            {"error":{"code":429,"message":"Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'","status":"RESOURCE_EXHAUSTED",
             "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com",
              "metadata":{"quota_metric":"sheets.googleapis.com/write_requests","quota_limit":"WriteRequestsPerMinutePerUser","quota_limit_value":"60","service":"sheets.googleapis.com"}}]}}
            """;
        var (verdict, retryAfter, reason) = Classify(HttpStatusCode.TooManyRequests, body);
        Assert.Equal(CallVerdict.Limited, verdict);
        Assert.Equal(TimeSpan.FromSeconds(30), retryAfter);
        Assert.Contains("RESOURCE_EXHAUSTED", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TelegramRetryAfter_IsHonouredExactly()
    {
        const string body = """{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 8","parameters":{"retry_after":8}}""";
        var (verdict, retryAfter, _) = Classify(HttpStatusCode.TooManyRequests, body);
        Assert.Equal(CallVerdict.Limited, verdict);
        Assert.Equal(TimeSpan.FromSeconds(8), retryAfter);
    }

    [Fact]
    public void RetryAfterHeader_WinsForA429_AndMakesA503ALimit()
    {
        Assert.Equal((CallVerdict.Limited, TimeSpan.FromSeconds(5)), Pick(Classify(HttpStatusCode.TooManyRequests, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(5)))));
        Assert.Equal((CallVerdict.Limited, TimeSpan.FromSeconds(20)), Pick(Classify(HttpStatusCode.ServiceUnavailable, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddSeconds(20)))));
        Assert.Equal((CallVerdict.Limited, (TimeSpan?)null), Pick(Classify(HttpStatusCode.TooManyRequests, "not json")));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, false)]
    [InlineData(HttpStatusCode.BadGateway, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, false)]
    [InlineData(HttpStatusCode.RequestTimeout, false)]
    [InlineData(HttpStatusCode.OK, true)]
    [InlineData(HttpStatusCode.NotModified, true)]
    [InlineData(HttpStatusCode.NotFound, true)]
    [InlineData(HttpStatusCode.Forbidden, true)]
    public void OtherAnswers_AreTheResourcesHealthOnly(HttpStatusCode status, bool healthy) =>
        Assert.Equal(healthy ? CallVerdict.Success : CallVerdict.Failure, Classify(status).Item1);

    private static (CallVerdict, TimeSpan?) Pick((CallVerdict Verdict, TimeSpan? RetryAfter, string) result) => (result.Verdict, result.RetryAfter);
}
