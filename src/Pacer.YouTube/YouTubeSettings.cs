using Pacer.GoogleApis;
using Pacer.Secrets;

namespace Pacer.YouTube;

/// <summary>The validated, immutable copy of <see cref="YouTubeOptions"/> the client and its registration use.</summary>
internal sealed class YouTubeSettings
{
    private YouTubeSettings(YouTubeOptions options)
    {
        BaseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        CredentialKind = options.CredentialKind;
        Secret = new SecretSources(
            options.CredentialKind switch
            {
                YouTubeCredentialKind.AccessToken => "YouTube access token",
                YouTubeCredentialKind.AuthorizedUser => "YouTube authorized-user credential",
                _ => "YouTube API key",
            },
            options.ConfigurationKeyOrDefault, options.EnvironmentVariableOrDefault, options.CredentialFile);
        Resource = options.Resource;
        Quota = options.Quota;
        Costs = CostTable(options.CostPreset, BaseAddress, options.Costs);
        Calls = new CallPolicySettings(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay, options.AttemptTimeout, options.MaxWaitWhenLimited);
    }

    public Uri BaseAddress { get; }

    public YouTubeCredentialKind CredentialKind { get; }

    public SecretSources Secret { get; }

    public string Resource { get; }

    public string Quota { get; }

    /// <summary>The resource's <c>Costs</c>: the preset's table with the application's entries over it.</summary>
    public IReadOnlyDictionary<string, int> Costs { get; }

    public CallPolicySettings Calls { get; }

    /// <summary>Validates <paramref name="options"/> and copies them; throws <see cref="ArgumentException"/> listing every problem.</summary>
    public static YouTubeSettings From(YouTubeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        return new YouTubeSettings(options);
    }

    /// <summary>
    /// The preset's costs, by <c>METHOD /path-prefix</c> below the base address's path (a base address behind a proxy prefix
    /// keeps its prefix), with <paramref name="overrides"/> over them.
    /// </summary>
    internal static Dictionary<string, int> CostTable(YouTubeCostPreset preset, Uri baseAddress, IReadOnlyDictionary<string, int> overrides)
    {
        var root = baseAddress.AbsolutePath.TrimEnd('/');
        var table = new Dictionary<string, int>(StringComparer.Ordinal) { ["*"] = 1 };
        if (preset == YouTubeCostPreset.Classic)
        {
            table[$"GET {root}/youtube/v3/search"] = 100;
            table[$"POST {root}/upload/youtube/v3/videos"] = 1600;
        }
        foreach (var (pattern, cost) in overrides)
            table[pattern] = cost;
        return table;
    }
}
