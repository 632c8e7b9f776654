using System.ComponentModel.DataAnnotations;

namespace Pacer.Emulators;

/// <summary>Options a Google API emulator has besides its API's: those of the OAuth token endpoint it hosts (<c>POST /token</c>).</summary>
public class GoogleEmulatorOptions : EmulatorOptions
{
    /// <summary>
    /// Refresh tokens the OAuth token endpoint (<c>POST /token</c>, Google's <c>https://oauth2.googleapis.com/token</c>)
    /// takes in the <c>refresh_token</c> grant. Empty (default): any non-empty one. Any client id and secret are taken.
    /// </summary>
    public IList<string> RefreshTokens { get; } = [];

    /// <summary>
    /// The scopes (full addresses, space-separated) the access tokens issued for those refresh tokens carry. Null
    /// (default): the emulated API's own. A refresh token issued by the consent page carries what the user consented to.
    /// </summary>
    public string? RefreshTokenScope { get; set; }

    /// <summary>
    /// Service accounts (client e-mail address to public key, PEM) whose signed assertions the token endpoint checks (the
    /// JWT bearer grant a service account key uses). Empty (default): any account, any signature; an assertion's times and
    /// scopes are checked either way.
    /// </summary>
    public IDictionary<string, string> ServiceAccounts { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long an access token issued by the token endpoint is accepted. 1 s to 1 day; default 3,599 s, as Google's.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);
}
