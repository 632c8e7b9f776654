namespace Pacer.Emulators;

/// <summary>Counts a Google API emulator keeps besides its API's: those of the OAuth token endpoint it hosts.</summary>
public class GoogleEmulatorCounters : EmulatorCounters
{
    private long _tokenRequests;
    private long _tokensIssued;

    internal GoogleEmulatorCounters()
    {
    }

    /// <summary>Requests to the OAuth token endpoint (<c>POST /token</c>): not API requests, so not in <see cref="EmulatorCounters.Requests"/>.</summary>
    public long TokenRequests => Interlocked.Read(ref _tokenRequests);

    /// <summary>Access tokens the token endpoint issued.</summary>
    public long TokensIssued => Interlocked.Read(ref _tokensIssued);

    internal void CountTokenRequest() => Interlocked.Increment(ref _tokenRequests);

    internal void CountTokenIssued() => Interlocked.Increment(ref _tokensIssued);

    internal override IEnumerable<KeyValuePair<string, object>> Describe() =>
        base.Describe().Concat(
        [
            new("tokenRequests", TokenRequests),
            new("tokensIssued", TokensIssued),
        ]);
}
