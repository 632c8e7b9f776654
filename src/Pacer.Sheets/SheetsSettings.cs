using Pacer.GoogleApis;
using Pacer.Secrets;

namespace Pacer.Sheets;

/// <summary>The validated, immutable copy of <see cref="SheetsOptions"/> the client and its registration use.</summary>
internal sealed class SheetsSettings
{
    private SheetsSettings(SheetsOptions options)
    {
        BaseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        CredentialKind = options.CredentialKind;
        Secret = new SecretSources(
            options.CredentialKind switch
            {
                SheetsCredentialKind.AccessToken => "Sheets access token",
                SheetsCredentialKind.AuthorizedUser => "Sheets authorized-user credential",
                _ => "Sheets service account key",
            },
            options.ConfigurationKeyOrDefault, options.EnvironmentVariableOrDefault, options.CredentialFile);
        Resource = options.Resource;
        Rate = options.Rate;
        Calls = new CallPolicySettings(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay, options.AttemptTimeout, options.MaxWaitWhenLimited);
    }

    public Uri BaseAddress { get; }

    public SheetsCredentialKind CredentialKind { get; }

    public SecretSources Secret { get; }

    public string Resource { get; }

    public string Rate { get; }

    public CallPolicySettings Calls { get; }

    /// <summary>Validates <paramref name="options"/> and copies them; throws <see cref="ArgumentException"/> listing every problem.</summary>
    public static SheetsSettings From(SheetsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        return new SheetsSettings(options);
    }
}
