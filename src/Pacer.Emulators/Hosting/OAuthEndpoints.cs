using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Pacer.Emulators.Hosting;

/// <summary>
/// Google's OAuth 2 endpoints as an installed application uses them: the consent page (<c>GET /o/oauth2/auth</c>, here a
/// user who consents at once, or refuses when told to) that redirects to the application's loopback address with a code,
/// and the token endpoint (<c>POST /token</c>) with the <c>authorization_code</c> grant (PKCE checked when a challenge was
/// sent), the <c>refresh_token</c> grant (RFC 6749 sections 4.1 and 6) and a service account's signed assertion (the JWT
/// bearer grant, RFC 7523), with the endpoint's error bodies (section 5.2).
/// Hosted by an emulator beside its API, as Google hosts them beside every API: the API takes the access tokens issued
/// here until they expire or are revoked, and refuses them after (401); a method checks that the token's scopes include
/// one it accepts (<see cref="Allows"/>).
/// </summary>
/// <param name="refreshTokens">The refresh tokens taken besides those issued here; empty: any non-empty one.</param>
/// <param name="lifetime">How long an issued access token is taken.</param>
/// <param name="scope">What a refresh token it did not issue here is taken to grant (space-separated scopes).</param>
/// <param name="serviceAccounts">Service accounts whose assertions are checked against their public key; empty: any signature.</param>
internal sealed class OAuthEndpoints(
    IEnumerable<string> refreshTokens, IDictionary<string, string> serviceAccounts, TimeSpan lifetime, string scope, TimeProvider time, GoogleEmulatorCounters counters)
{
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    public const string TokenPath = "/token";
    public const string AuthorizationPath = "/o/oauth2/auth";

    private readonly HashSet<string> _refreshTokens = new(refreshTokens, StringComparer.Ordinal);
    /// <summary>Refresh tokens the consent flow issued, with the scopes the user granted.</summary>
    private readonly ConcurrentDictionary<string, string> _issuedRefreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Issued> _issued = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RSA> _serviceAccounts = serviceAccounts.ToDictionary(a => a.Key, a => PublicKey(a.Key, a.Value), StringComparer.Ordinal);

    /// <param name="Grant">The refresh token (or service account) the token was issued under: one user, revoked together.</param>
    private sealed record Issued(string Grant, DateTimeOffset ExpiresAt, string[] Scopes);

    /// <summary>A code the consent page handed out: for whom, where it was sent, and the PKCE challenge it must be redeemed with.</summary>
    private sealed record Grant(string ClientId, string RedirectUri, string? Challenge, string Scope);

    /// <summary>When set, the emulated user refuses consent: the redirect carries <c>error=access_denied</c>.</summary>
    public bool RefuseConsent { get; set; }

    /// <summary>When set, the emulated user allows only these of the scopes asked for (Google's consent page lets them untick each).</summary>
    public IReadOnlySet<string>? GrantOnly { get; set; }

    /// <summary>What the API makes of a bearer token: null when this endpoint never issued it.</summary>
    public bool? IsValid(string accessToken) =>
        _issued.TryGetValue(accessToken, out var issued)
            ? time.GetUtcNow() < issued.ExpiresAt && !_revoked.ContainsKey(issued.Grant)
            : null;

    /// <summary>
    /// Whether a token may call a method that takes any of <paramref name="accepted"/> (full scope addresses): always for
    /// a token not issued here (a configured bearer token, whose scopes the emulator cannot know).
    /// </summary>
    public bool Allows(string accessToken, IReadOnlySet<string> accepted) =>
        !_issued.TryGetValue(accessToken, out var issued) || issued.Scopes.Any(accepted.Contains);

    /// <summary>The grant an access token was issued for (the user, for per-user limits), or null when this endpoint never issued it.</summary>
    public string? GrantOf(string accessToken) => _issued.TryGetValue(accessToken, out var issued) ? issued.Grant : null;

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
        if (context.Request.Path.Equals(AuthorizationPath, StringComparison.Ordinal))
        {
            await ConsentAsync(context, cancellationToken);
            return true;
        }
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
        if (grant == JwtBearerGrant)
        {
            await AssertionAsync(context, form["assertion"].ToString(), cancellationToken);
            return true;
        }
        var clientId = form["client_id"].ToString();
        var clientSecret = form["client_secret"].ToString();
        if (grant is not ("refresh_token" or "authorization_code"))
            await ErrorAsync(context, 400, "unsupported_grant_type", $"Invalid grant_type: {grant}", cancellationToken);
        else if (clientId.Length == 0)
            await ErrorAsync(context, 400, "invalid_request", "Could not determine client ID from request.", cancellationToken);
        else if (clientSecret.Length == 0)
            await ErrorAsync(context, 400, "invalid_request", "client_secret is missing.", cancellationToken);
        else if (grant == "authorization_code")
            await RedeemCodeAsync(context, form, clientId, cancellationToken);
        else
            await RefreshAsync(context, form["refresh_token"].ToString(), cancellationToken);
        return true;
    }

    /// <summary>The consent page of a user who agrees at once: back to the application's loopback address with a code.</summary>
    private async Task ConsentAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var clientId = query["client_id"].ToString();
        var redirect = query["redirect_uri"].ToString();
        // Google answers these with an error page for the user, never a redirect to an address it cannot trust.
        if (clientId.Length == 0 || query["response_type"] != "code")
        {
            await PageAsync(context, 400, "Error 400: invalid_request. Required parameter is missing: client_id or response_type=code.", cancellationToken);
            return;
        }
        if (!Uri.TryCreate(redirect, UriKind.Absolute, out var redirectUri) || redirectUri.Scheme != "http" || !redirectUri.IsLoopback)
        {
            await PageAsync(context, 400, "Error 400: redirect_uri_mismatch. An installed application redirects to a loopback address (http://127.0.0.1:PORT/).", cancellationToken);
            return;
        }
        var state = query["state"].ToString();
        var back = new StringBuilder(redirect).Append(redirect.Contains('?', StringComparison.Ordinal) ? '&' : '?');
        if (state.Length > 0)
            back.Append("state=").Append(Uri.EscapeDataString(state)).Append('&');
        if (RefuseConsent)
        {
            back.Append("error=access_denied");
        }
        else
        {
            var challenge = query["code_challenge"].ToString();
            if (challenge.Length > 0 && query["code_challenge_method"] != "S256")
            {
                await PageAsync(context, 400, "Error 400: invalid_request. code_challenge_method must be S256.", cancellationToken);
                return;
            }
            var code = "4/emulated-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var asked = query["scope"].ToString();
            if (string.IsNullOrWhiteSpace(asked))
            {
                await PageAsync(context, 400, "Error 400: invalid_request. Missing required parameter: scope", cancellationToken);
                return;
            }
            var granted = GrantOnly is { } only
                ? string.Join(' ', asked.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(only.Contains))
                : asked;
            _codes[code] = new Grant(clientId, redirect, challenge.Length > 0 ? challenge : null, granted);
            back.Append("code=").Append(Uri.EscapeDataString(code)).Append("&scope=").Append(Uri.EscapeDataString(granted));
        }
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = back.ToString();
    }

    private async Task RedeemCodeAsync(HttpContext context, IFormCollection form, string clientId, CancellationToken cancellationToken)
    {
        var code = form["code"].ToString();
        if (code.Length == 0)
        {
            await ErrorAsync(context, 400, "invalid_request", "Missing required parameter: code", cancellationToken);
            return;
        }
        // A code is redeemed once, by the client it was issued to, for the address it was sent to, with the PKCE verifier.
        if (!_codes.TryRemove(code, out var grant) || grant.ClientId != clientId)
        {
            await ErrorAsync(context, 400, "invalid_grant", "Malformed auth code.", cancellationToken);
            return;
        }
        if (form["redirect_uri"] != grant.RedirectUri)
        {
            await ErrorAsync(context, 400, "redirect_uri_mismatch", "Bad Request", cancellationToken);
            return;
        }
        if (grant.Challenge is { } challenge
            && Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != challenge)
        {
            await ErrorAsync(context, 400, "invalid_grant", "Invalid code verifier.", cancellationToken);
            return;
        }
        var refreshToken = "1//emulated-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _issuedRefreshTokens[refreshToken] = grant.Scope;
        await IssueAsync(context, refreshToken, grant.Scope, includeRefreshToken: true, cancellationToken);
    }

    private async Task RefreshAsync(HttpContext context, string refreshToken, CancellationToken cancellationToken)
    {
        if (refreshToken.Length == 0)
            await ErrorAsync(context, 400, "invalid_request", "Missing required parameter: refresh_token", cancellationToken);
        else if (_revoked.ContainsKey(refreshToken)
            || (_refreshTokens.Count > 0 && !_refreshTokens.Contains(refreshToken) && !_issuedRefreshTokens.ContainsKey(refreshToken)))
            await ErrorAsync(context, 400, "invalid_grant", "Token has been expired or revoked.", cancellationToken);
        else
            await IssueAsync(context, refreshToken, _issuedRefreshTokens.GetValueOrDefault(refreshToken, scope), includeRefreshToken: false, cancellationToken);
    }

    /// <summary>
    /// A service account's signed JWT (RS256; <c>iss</c> its e-mail address, <c>scope</c>, <c>iat</c> and <c>exp</c> at most an
    /// hour apart around now): an access token for the scopes it names. The signature is checked when the account is
    /// listed in <see cref="GoogleEmulatorOptions.ServiceAccounts"/>; <c>aud</c> is not (a key names Google's endpoint or this one).
    /// </summary>
    private async Task AssertionAsync(HttpContext context, string assertion, CancellationToken cancellationToken)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3 || Json(parts[0]) is not { } header || Json(parts[1]) is not { } claims)
        {
            await ErrorAsync(context, 400, "invalid_grant", "Invalid JWT: could not be parsed.", cancellationToken);
            return;
        }
        var issuer = Text(claims, "iss");
        var scopes = Text(claims, "scope");
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var iat = Number(claims, "iat");
        var exp = Number(claims, "exp");
        if (Text(header, "alg") != "RS256" || issuer is null)
        {
            await ErrorAsync(context, 400, "invalid_grant", "Invalid JWT: the header must say RS256 and the claims name their issuer (iss).", cancellationToken);
        }
        else if (_serviceAccounts.Count > 0 && !_serviceAccounts.ContainsKey(issuer))
        {
            await ErrorAsync(context, 400, "invalid_grant", "Invalid grant: account not found", cancellationToken);
        }
        else if (_serviceAccounts.TryGetValue(issuer, out var publicKey) && !Signed(parts, publicKey))
        {
            await ErrorAsync(context, 400, "invalid_grant", "Invalid JWT Signature.", cancellationToken);
        }
        else if (iat is null || exp is null || exp <= iat || exp - iat > 3600 || iat > now + 300 || exp <= now)
        {
            await ErrorAsync(context, 400, "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.", cancellationToken);
        }
        else if (string.IsNullOrWhiteSpace(scopes))
        {
            await ErrorAsync(context, 400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.", cancellationToken);
        }
        else
        {
            await IssueAsync(context, ServiceAccountGrant(issuer), scopes, includeRefreshToken: false, cancellationToken);
        }
    }

    /// <summary>The grant a service account's tokens are issued under: one user for per-user limits, revoked together.</summary>
    public static string ServiceAccountGrant(string email) => "service-account:" + email;

    private static bool Signed(string[] parts, RSA publicKey) =>
        FromBase64Url(parts[2]) is { } signature
        && publicKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>A listed account's public key, read once: a bad one stops the emulator at start, naming the account.</summary>
    private static RSA PublicKey(string email, string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new ArgumentException($"GoogleEmulatorOptions.ServiceAccounts['{email}'] is not an RSA public key in PEM ({e.Message}).", nameof(serviceAccounts), e);
        }
    }

    /// <summary>A JWT segment's JSON object, or null when it is not one.</summary>
    private static JsonObject? Json(string segment)
    {
        try
        {
            return FromBase64Url(segment) is { } bytes ? JsonNode.Parse(bytes) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static long? Number(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    private static byte[]? FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        var padded = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[padded.Length];
        return Convert.TryFromBase64String(padded, bytes, out var written) ? bytes[..written] : null;
    }

    private Task IssueAsync(HttpContext context, string grant, string granted, bool includeRefreshToken, CancellationToken cancellationToken)
    {
        var accessToken = "ya29.emulated-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _issued[accessToken] = new Issued(grant, time.GetUtcNow() + lifetime, granted.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        counters.CountTokenIssued();
        context.Response.Headers.CacheControl = "no-cache, no-store, max-age=0, must-revalidate";
        var body = new Dictionary<string, object>
        {
            ["access_token"] = accessToken,
            ["expires_in"] = (long)lifetime.TotalSeconds,
            ["scope"] = granted,
            ["token_type"] = "Bearer",
        };
        if (includeRefreshToken)
            body["refresh_token"] = grant;
        return EmulatorJson.WriteAsync(context, 200, body, cancellationToken);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Task ErrorAsync(HttpContext context, int status, string error, string description, CancellationToken cancellationToken) =>
        EmulatorJson.WriteAsync(context, status, new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, cancellationToken);

    private static async Task PageAsync(HttpContext context, int status, string text, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, cancellationToken);
    }
}
