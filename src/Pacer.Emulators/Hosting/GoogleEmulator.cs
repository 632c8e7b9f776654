using Pacer.Emulators.Hosting;

namespace Pacer.Emulators;

/// <summary>
/// What the Google API emulators share: a host on 127.0.0.1 and the OAuth endpoints Google serves beside every API (a
/// consent page and a token endpoint; see docs/emulators.md).
/// </summary>
public abstract class GoogleEmulator : IAsyncDisposable
{
    private EmulatorHost? _host;

    private protected GoogleEmulator(GoogleEmulatorOptions options, string scope, GoogleEmulatorCounters counters) =>
        OAuth = new OAuthEndpoints(options.RefreshTokens, options.ServiceAccounts, options.AccessTokenLifetime, options.RefreshTokenScope ?? scope, options.TimeProvider, counters);

    private protected OAuthEndpoints OAuth { get; }

    private protected EmulatorHost Host
    {
        get => _host ?? throw new InvalidOperationException("The emulator has not started.");
        set => _host = value;
    }

    /// <summary>The emulator's root, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress => Host.BaseAddress;

    /// <summary>The OAuth token endpoint, <c>{BaseAddress}token</c>: the <c>token_uri</c> of an authorized-user credential.</summary>
    public Uri TokenEndpoint => new(Host.BaseAddress, OAuthEndpoints.TokenPath.TrimStart('/'));

    /// <summary>The OAuth consent page, <c>{BaseAddress}o/oauth2/auth</c>: the <c>auth_uri</c> of an OAuth client's secret file.</summary>
    public Uri AuthorizationEndpoint => new(Host.BaseAddress, OAuthEndpoints.AuthorizationPath.TrimStart('/'));

    /// <summary>Whether the emulated user refuses on the consent page (the redirect then carries <c>error=access_denied</c>). Default false.</summary>
    public bool RefuseConsent
    {
        get => OAuth.RefuseConsent;
        set => OAuth.RefuseConsent = value;
    }

    /// <summary>
    /// When set, the emulated user allows only these of the scopes a consent asks for (full scope addresses), as Google's
    /// consent page lets a user untick each; the redirect and the token answer name what was granted. Default null: all.
    /// </summary>
    public IReadOnlySet<string>? GrantOnly
    {
        get => OAuth.GrantOnly;
        set => OAuth.GrantOnly = value;
    }

    /// <summary>
    /// Refuses every access token the token endpoint issued so far (401), leaving the refresh tokens valid: what a client
    /// sees when a token is refused before it expires by the client's clock (revoked, or the clocks disagree).
    /// </summary>
    public void RevokeAccessTokens() => OAuth.RevokeAccessTokens();

    /// <summary>Revokes a refresh token, as a user removing the app's access does: the token endpoint refuses it, and the API the access tokens issued for it.</summary>
    public void RevokeRefreshToken(string refreshToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(refreshToken);
        OAuth.Revoke(refreshToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
