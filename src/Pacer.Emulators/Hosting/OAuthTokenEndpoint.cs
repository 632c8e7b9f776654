using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
namespace Pacer.Emulators.Hosting;

/// <summary>
/// Google's OAuth 2 token endpoint (<c>POST https://oauth2.googleapis.com/token</c>) as far as a client holding a refresh
/// token uses it: the <c>refresh_token</c> grant (RFC 6749 section 6), answered with a short-lived access token, and the
/// endpoint's error bodies (section 5.2). Hosted by an emulator beside its API, as Google hosts it beside every API:
/// the API takes the access tokens it issued until they expire or are revoked, and refuses them after (401).
/// </summary>
/// <param name="refreshTokens">The refresh tokens taken; empty: any non-empty one.</param>
/// <param name="lifetime">How long an issued access token is taken.</param>
/// <param name="scope">The scope the answers name (the emulated API's).</param>
internal sealed class OAuthTokenEndpoint(IEnumerable<string> refreshTokens, TimeSpan lifetime, string scope, TimeProvider time, GoogleEmulatorCounters counters)
{
    public const string TokenPath = "/token";

    private readonly HashSet<string> _refreshTokens = new(refreshTokens, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Issued> _issued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    private sealed record Issued(string RefreshToken, DateTimeOffset ExpiresAt);

    /// <summary>What the API makes of a bearer token: null when this endpoint never issued it.</summary>
    public bool? IsValid(string accessToken) =>
        _issued.TryGetValue(accessToken, out var issued)
            ? time.GetUtcNow() < issued.ExpiresAt && !_revoked.ContainsKey(issued.RefreshToken)
            : null;

    /// <summary>The grant an access token was issued for (the user, for per-user limits), or null when this endpoint never issued it.</summary>
    public string? GrantOf(string accessToken) => _issued.TryGetValue(accessToken, out var issued) ? issued.RefreshToken : null;

    /// <summary>Every access token issued so far is refused from now on; the refresh tokens still work.</summary>
    public void RevokeAccessTokens()
    {
        foreach (var token in _issued.Keys)
            _issued[token] = _issued[token] with { ExpiresAt = DateTimeOffset.MinValue };
    }

    /// <summary>The refresh token is refused from now on, and so are the access tokens issued for it (as a user's revocation does).</summary>
    public void Revoke(string refreshToken) => _revoked[refreshToken] = true;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!context.Request.Path.Equals(TokenPath, StringComparison.Ordinal))
            return false;
        counters.CountTokenRequest();
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.HasFormContentType)
        {
            await ErrorAsync(context, 400, "invalid_request", "Send a POST with an application/x-www-form-urlencoded body.", cancellationToken);
            return true;
        }
        var form = await context.Request.ReadFormAsync(cancellationToken);
        var grant = form["grant_type"].ToString();
        var clientId = form["client_id"].ToString();
        var clientSecret = form["client_secret"].ToString();
        var refreshToken = form["refresh_token"].ToString();
        if (grant.Length == 0)
            await ErrorAsync(context, 400, "unsupported_grant_type", "Invalid grant_type: ", cancellationToken);
        else if (grant != "refresh_token")
            await ErrorAsync(context, 400, "unsupported_grant_type", $"Invalid grant_type: {grant}", cancellationToken);
        else if (clientId.Length == 0)
            await ErrorAsync(context, 400, "invalid_request", "Could not determine client ID from request.", cancellationToken);
        else if (clientSecret.Length == 0)
            await ErrorAsync(context, 400, "invalid_request", "client_secret is missing.", cancellationToken);
        else if (refreshToken.Length == 0)
            await ErrorAsync(context, 400, "invalid_request", "Missing required parameter: refresh_token", cancellationToken);
        else if (_revoked.ContainsKey(refreshToken) || (_refreshTokens.Count > 0 && !_refreshTokens.Contains(refreshToken)))
            await ErrorAsync(context, 400, "invalid_grant", "Token has been expired or revoked.", cancellationToken);
        else
        {
            var accessToken = "ya29.emulated-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _issued[accessToken] = new Issued(refreshToken, time.GetUtcNow() + lifetime);
            counters.CountTokenIssued();
            context.Response.Headers.CacheControl = "no-cache, no-store, max-age=0, must-revalidate";
            await EmulatorJson.WriteAsync(context, 200, new Dictionary<string, object>
            {
                ["access_token"] = accessToken,
                ["expires_in"] = (long)lifetime.TotalSeconds,
                ["scope"] = scope,
                ["token_type"] = "Bearer",
            }, cancellationToken);
        }
        return true;
    }

    private static Task ErrorAsync(HttpContext context, int status, string error, string description, CancellationToken cancellationToken) =>
        EmulatorJson.WriteAsync(context, status, new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, cancellationToken);
}
