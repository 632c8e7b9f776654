using System.Net;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
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

    private ITokenAccess? _serviceAccount;

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
            _serviceAccount = CredentialFactory.FromJson<ServiceAccountCredential>(secret.Value).ToGoogleCredential().CreateScoped(SheetsDefaults.Scope);
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
        catch (TokenResponseException refused) when (refused.StatusCode is null or < HttpStatusCode.InternalServerError)
        {
            throw new SheetsRequestException(
                $"Google refused the service account key read from {Secret!.Source} ({refused.Error?.Error}: {refused.Error?.ErrorDescription}). " +
                "Check that the key is current and the service account exists.",
                operation, refused.StatusCode ?? HttpStatusCode.BadRequest, refused.Error?.Error, credentialRefused: true);
        }
        catch (TokenResponseException failed)
        {
            throw new HttpRequestException($"Google's token service failed ({(int)failed.StatusCode!}); try again later.", null, failed.StatusCode);
        }
    }
}

internal sealed class SheetsCredentialValidation : IValidateOptions<SheetsCredential>
{
    public ValidateOptionsResult Validate(string? name, SheetsCredential options) =>
        options.Secret is null ? ValidateOptionsResult.Fail(options.Problem) : ValidateOptionsResult.Success;
}
