using Microsoft.Extensions.Options;
using Pacer.Secrets;

namespace Pacer.YouTube;

/// <summary>
/// The credential, read once from the places <see cref="YouTubeOptions"/> names when the host starts (an options type, so
/// <c>ValidateOnStart</c> reports a missing one then, in one message naming every place to put it).
/// </summary>
internal sealed class YouTubeCredential
{
    public Secret? Secret { get; set; }

    /// <summary>Why there is none: the message that names every place it could be set.</summary>
    public string Missing { get; set; } = "";
}

internal sealed class YouTubeCredentialValidation : IValidateOptions<YouTubeCredential>
{
    public ValidateOptionsResult Validate(string? name, YouTubeCredential options) =>
        options.Secret is null ? ValidateOptionsResult.Fail(options.Missing) : ValidateOptionsResult.Success;
}
