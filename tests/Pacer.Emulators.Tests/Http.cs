using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pacer.Emulators.Tests;

/// <summary>One HTTP answer: status, headers and the body parsed as JSON (undefined when empty).</summary>
internal sealed record Reply(HttpStatusCode Status, JsonElement Json, string Body, HttpResponseHeaders Headers)
{
    public int Code => (int)Status;

    public string ETag => Json.GetProperty("etag").GetString()!;

    public override string ToString() => $"{Code} {Body}";
}

internal static class Http
{
    public static HttpClient Client(Uri baseAddress, string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    public static async Task<Reply> FetchAsync(this HttpClient client, string url, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (ifNoneMatch is not null)
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await SendAsync(client, request);
    }

    public static async Task<Reply> SendJsonAsync(this HttpClient client, HttpMethod method, string url, string? json)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await SendAsync(client, request);
    }

    /// <summary>A form POST, as an OAuth token request is sent.</summary>
    public static async Task<Reply> PostFormAsync(this HttpClient client, Uri url, params (string Name, string Value)[] form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Name, f.Value))),
        };
        return await SendAsync(client, request);
    }

    public static async Task<Reply> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
        return new Reply(response.StatusCode, json, body, response.Headers);
    }

    public static string[] Strings(this JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
