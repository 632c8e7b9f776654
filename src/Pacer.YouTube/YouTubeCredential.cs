using Microsoft.Extensions.Options;
using Pacer.GoogleApis;
using Pacer.Secrets;

namespace Pacer.YouTube;

/// <summary>
/// The credential, read once from the places <see cref="YouTubeOptions"/> names when the host starts (an options type, so
/// <c>ValidateOnStart</c> reports a missing one then, in one message naming every place to put it).
/// </summary>
internal sealed class YouTubeCredential
{
    public Secret? Secret { get; private set; }

    /// <summary>For <see cref="YouTubeCredentialKind.AuthorizedUser"/>: the credential made from <see cref="Secret"/>.</summary>
    public GoogleAuthorizedUser? AuthorizedUser { get; private set; }

    /// <summary>Why there is none: the message that names every place it could be set, or what is wrong with the one found.</summary>
    public string Missing { get; private set; } = "";

    public void Load(YouTubeSettings settings, Secret? secret, TimeProvider time)
    {
        Secret = secret;
        if (secret is null)
        {
            Missing = settings.Secret.Missing();
            return;
        }
        if (settings.CredentialKind != YouTubeCredentialKind.AuthorizedUser)
            return;
        AuthorizedUser = CreateAuthorizedUser(secret, time, out var problem);
        if (AuthorizedUser is null)
        {
            Secret = null;
            Missing = problem;
        }
    }

    /// <summary>An authorized user whose refused grant is a <see cref="YouTubeRequestException"/> (permanent, credential refused).</summary>
    public static GoogleAuthorizedUser? CreateAuthorizedUser(Secret secret, TimeProvider time, out string problem) =>
        GoogleAuthorizedUser.TryCreate("YouTube", secret, time,
            (message, operation, status, error) => new YouTubeRequestException(message, operation, status, error, "oauth2", credentialRefused: true),
            out problem);
}

internal sealed class YouTubeCredentialValidation : IValidateOptions<YouTubeCredential>
{
    public ValidateOptionsResult Validate(string? name, YouTubeCredential options) =>
        options.Secret is null ? ValidateOptionsResult.Fail(options.Missing) : ValidateOptionsResult.Success;
}
