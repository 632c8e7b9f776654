using System.Net;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Microsoft.Extensions.Options;
using Pacer.GoogleApis;
using Pacer.Secrets;

namespace Pacer.Sheets;

/// <summary>
/// The credential, read once when the host starts (an options type, so <c>ValidateOnStart</c> reports a missing or
/// unreadable one then). A service account key becomes a scoped <see cref="GoogleCredential"/>: Google.Apis.Auth signs
/// the assertion, asks the key's <c>token_uri</c> for an access token, caches it and refreshes it before it expires.
/// </summary>
internal sealed class SheetsCredential
{
    public Secret? Secret { get; private set; }

    public string Problem { get; private set; } = "";

    private ServiceAccountCredential? _serviceAccount;

    /// <summary>For <see cref="SheetsCredentialKind.ServiceAccount"/>: its e-mail address, the one a spreadsheet is shared with.</summary>
    public string? ServiceAccountEmail => _serviceAccount?.Id;

    /// <summary>For <see cref="SheetsCredentialKind.AuthorizedUser"/>: the credential made from <see cref="Secret"/>.</summary>
    public GoogleAuthorizedUser? AuthorizedUser { get; private set; }

    public void Load(SheetsSettings settings, Secret? secret, TimeProvider time)
    {
        Secret = secret;
        if (secret is null)
        {
            Problem = settings.Secret.Missing();
            return;
        }
        if (settings.CredentialKind == SheetsCredentialKind.AuthorizedUser)
        {
            AuthorizedUser = GoogleAuthorizedUser.TryCreate("Google Sheets", secret, time,
                (message, operation, status, error) => new SheetsRequestException(message, operation, status, error, credentialRefused: true),
                out var problem);
            if (AuthorizedUser is null)
            {
                Problem = problem;
                Secret = null;
            }
            return;
        }
        if (settings.CredentialKind != SheetsCredentialKind.ServiceAccount)
            return;
        try
        {
            // Read (and checked) by Google's factory, then made again to run on the injected clock and leave retries to the
            // client's call policy: the factory's credential keeps the system clock and sleeps between its own retries.
            var key = CredentialFactory.FromJson<ServiceAccountCredential>(secret.Value);
            _serviceAccount = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(key.Id, key.TokenServerUrl)
            {
                Clock = new GoogleClock(time),
                DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
                Key = key.Key,
                KeyId = key.KeyId,
                ProjectId = key.ProjectId,
                Scopes = [SheetsDefaults.Scope],
            });
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            // Google's messages name the problem ("JSON data does not represent a valid service account credential."), not the content.
            Problem = $"The Sheets service account key read from {secret.Source} cannot be used: {e.Message} " +
                "Give the JSON key file of a service account (\"type\": \"service_account\", with client_email and private_key).";
            Secret = null;
        }
    }

    /// <summary>The bearer token for the next request: the configured token, or the service account's or user's current access token.</summary>
    public async ValueTask<string> AccessTokenAsync(string operation, CancellationToken cancellationToken)
    {
        if (AuthorizedUser is { } user)
            return await user.AccessTokenAsync(operation, cancellationToken);
        if (_serviceAccount is null)
            return Secret!.Value;
        try
        {
            return await _serviceAccount.GetAccessTokenForRequestAsync(null, cancellationToken);
        }
        catch (TokenResponseException failed)
        {
            throw ServiceAccountFailure(operation, failed);
        }
    }

    /// <summary>Whether a 401 is worth a new token and one more call: the token was refused before its end by this clock.</summary>
    public bool CanRenew => AuthorizedUser is not null || _serviceAccount is not null;

    /// <summary>Asks for a new access token although the one held has not expired by this clock (the API refused it).</summary>
    public async Task RenewAsync(string operation, CancellationToken cancellationToken)
    {
        if (AuthorizedUser is { } user)
        {
            await user.RefreshAsync(operation, cancellationToken);
            return;
        }
        try
        {
            await _serviceAccount!.RequestAccessTokenAsync(cancellationToken);
        }
        catch (TokenResponseException failed)
        {
            throw ServiceAccountFailure(operation, failed);
        }
    }

    /// <summary>A refusal of the key will not change by trying again; a server error of the token endpoint may, and the call it was for was never sent.</summary>
    private Exception ServiceAccountFailure(string operation, TokenResponseException failed)
    {
        if (failed.StatusCode is >= HttpStatusCode.InternalServerError)
            return new TokenUnavailableException($"Google's token service failed ({(int)failed.StatusCode!}); try again later.", failed, failed.StatusCode.Value);
        return new SheetsRequestException(
            $"Google refused the service account key read from {Secret!.Source} ({failed.Error?.Error}: {failed.Error?.ErrorDescription}). " +
            "Check that the key is current and the service account exists.",
            operation, failed.StatusCode ?? HttpStatusCode.BadRequest, failed.Error?.Error, credentialRefused: true);
    }
}

internal sealed class SheetsCredentialValidation : IValidateOptions<SheetsCredential>
{
    public ValidateOptionsResult Validate(string? name, SheetsCredential options) =>
        options.Secret is null ? ValidateOptionsResult.Fail(options.Problem) : ValidateOptionsResult.Success;
}
