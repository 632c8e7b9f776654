using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Pacer.Secrets;

namespace Pacer.GoogleApis;

/// <summary>
/// An OAuth 2 client and a user's refresh token (the <c>"type": "authorized_user"</c> JSON that Google's tools write),
/// turned into access tokens by Google.Apis.Auth's <see cref="UserCredential"/>: it asks the token endpoint when it has
/// no token or the one it has nears its end (minutes before), one refresh at a time however many calls wait for it.
/// </summary>
/// <remarks>
/// Built here from the JSON rather than by <c>CredentialFactory</c>, which always asks Google's endpoint: a credential
/// that names its <c>token_uri</c> (as google-auth writes them, and as an emulator needs) is refreshed there.
/// </remarks>
internal sealed class GoogleAuthorizedUser
{
    /// <summary>Google's token endpoint, for a credential that does not name one.</summary>
    public static readonly Uri GoogleTokenEndpoint = new("https://oauth2.googleapis.com/token");

    private readonly UserCredential _credential;
    private readonly Secret _secret;
    private readonly RefusalFactory _refused;
    private readonly string[] _secrets;

    /// <summary>Makes the API's own permanent error for a refused grant: message, the call it was for, status, the endpoint's error code.</summary>
    public delegate Exception RefusalFactory(string message, string operation, HttpStatusCode status, string? error);

    private GoogleAuthorizedUser(UserCredential credential, Secret secret, RefusalFactory refused, params string[] secrets)
    {
        _credential = credential;
        _secret = secret;
        _refused = refused;
        _secrets = secrets;
        Identity = "google-user:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', secrets))));
    }

    /// <summary>Who the tokens are for, as the HTTP cache keeps answers (a hash of the client secret and refresh token, never either).</summary>
    public string Identity { get; }

    /// <summary>
    /// The credential in <paramref name="secret"/>, or null with <paramref name="problem"/> naming where it was read and
    /// what is wrong (never a value from it).
    /// </summary>
    /// <param name="api">The API's name in messages: "YouTube", "Google Sheets".</param>
    public static GoogleAuthorizedUser? TryCreate(string api, Secret secret, TimeProvider time, RefusalFactory refused, out string problem)
    {
        problem = "";
        AuthorizedUserJson? json;
        try
        {
            json = JsonSerializer.Deserialize(secret.Value, AuthorizedUserJsonContext.Default.AuthorizedUserJson);
        }
        catch (JsonException)
        {
            json = null;
        }
        var missing = json is null ? [] : new[]
        {
            ("client_id", json.ClientId), ("client_secret", json.ClientSecret), ("refresh_token", json.RefreshToken),
        }.Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToList();
        var tokenEndpoint = GoogleTokenEndpoint;
        if (json is null)
            problem = "it is not JSON";
        else if (json.Type is not null && json.Type != "authorized_user")
            problem = $"its \"type\" is \"{json.Type}\", not \"authorized_user\"";
        else if (missing.Count > 0)
            problem = $"it has no {string.Join(", ", missing)}";
        else if (json.TokenUri is { } uri && (!Uri.TryCreate(uri, UriKind.Absolute, out tokenEndpoint) || tokenEndpoint.Scheme is not ("https" or "http")))
            problem = "its \"token_uri\" is not an absolute http or https URL";
        if (problem.Length > 0)
        {
            problem = $"The {api} authorized-user credential read from {secret.Source} cannot be used: {problem}. Give the JSON of an OAuth client " +
                "and a user's refresh token: {\"type\": \"authorized_user\", \"client_id\": ..., \"client_secret\": ..., \"refresh_token\": ...} " +
                "(optionally \"token_uri\"), as `pacer authorize` or `gcloud auth application-default login` saves it.";
            return null;
        }

        var flow = new AuthorizationCodeFlow(new AuthorizationCodeFlow.Initializer(GoogleAuthConsts.OidcAuthorizationUrl, tokenEndpoint!.AbsoluteUri)
        {
            ClientSecrets = new ClientSecrets { ClientId = json!.ClientId, ClientSecret = json.ClientSecret },
            Clock = new GoogleClock(time),
            // Failures reach the client's own call policy, which retries on the injected clock; Google's would sleep on its own.
            DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
        });
        var credential = new UserCredential(flow, "pacer", new TokenResponse { RefreshToken = json.RefreshToken });
        return new GoogleAuthorizedUser(credential, secret, refused, json.ClientSecret!, json.RefreshToken!);
    }

    /// <summary>The access token to send now, refreshed first if there is none or it is about to expire.</summary>
    public async ValueTask<string> AccessTokenAsync(string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _credential.GetAccessTokenForRequestAsync(null, cancellationToken);
        }
        catch (TokenResponseException failed)
        {
            throw Failure(operation, failed);
        }
    }

    /// <summary>Asks for a new access token although the one held has not expired by this clock (the API refused it).</summary>
    public async Task RefreshAsync(string operation, CancellationToken cancellationToken)
    {
        try
        {
            await _credential.RefreshTokenAsync(cancellationToken);
        }
        catch (TokenResponseException failed)
        {
            throw Failure(operation, failed);
        }
    }

    /// <summary>Removes the client secret, the refresh token and the access token in use from <paramref name="text"/>.</summary>
    public string Scrub(string text)
    {
        var scrubbed = _secret.Scrub(text);
        foreach (var value in _secrets.Append(_credential.Token?.AccessToken))
            scrubbed = Secret.Hide(scrubbed, value);
        return scrubbed;
    }

    /// <summary>
    /// A refusal (400 <c>invalid_grant</c>: revoked or expired; 401 <c>invalid_client</c>) will not change by trying again;
    /// a server error of the token endpoint may.
    /// </summary>
    private Exception Failure(string operation, TokenResponseException failed)
    {
        var status = failed.StatusCode;
        var what = failed.Error?.Error is { Length: > 0 } error
            ? failed.Error.ErrorDescription is { Length: > 0 } description ? $"{error}: {Scrub(description)}" : error
            : "no reason given";
        if (status is >= HttpStatusCode.InternalServerError)
            return new TokenUnavailableException($"Google's token endpoint failed ({(int)status.Value}, {what}); try again later.", failed, status.Value);
        return _refused(
            $"Google's token endpoint refused the authorized-user credential read from {_secret.Source} ({what}). " +
            "If the user removed the app's access or the refresh token expired, authorize again (pacer authorize) and save the new credential there.",
            operation, status ?? HttpStatusCode.BadRequest, failed.Error?.Error);
    }
}

/// <summary>
/// No access token could be had (the token endpoint failed): the API call it was for was never sent, so even a write may be
/// sent again (<see cref="GoogleCallPolicy.NeverSent"/>). Transient, like the server error it carries.
/// </summary>
internal sealed class TokenUnavailableException(string message, Exception innerException, HttpStatusCode statusCode)
    : HttpRequestException(message, innerException, statusCode);

internal sealed class AuthorizedUserJson
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("client_id")]
    public string? ClientId { get; set; }

    [JsonPropertyName("client_secret")]
    public string? ClientSecret { get; set; }

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; set; }

    [JsonPropertyName("token_uri")]
    public string? TokenUri { get; set; }
}

[JsonSerializable(typeof(AuthorizedUserJson))]
internal sealed partial class AuthorizedUserJsonContext : JsonSerializerContext;
