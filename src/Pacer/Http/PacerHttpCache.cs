namespace Pacer;

/// <summary>
/// Keeps calls out of the conditional-request cache (<see cref="PacerHttpOptions.ConditionalCache"/>) where the caller
/// knows the answer will not be asked for again: a page of a list whose contents move, a lookup of ids that will not be
/// repeated. Storing such an answer costs a store write of its whole body per call and is never repaid by a 304.
/// </summary>
/// <example>
/// <code>
/// using (PacerHttpCache.Bypass())
///     page = await client.GetPlaylistPageAsync(playlistId, pageToken);   // sent without If-None-Match, not stored
/// </code>
/// </example>
public static class PacerHttpCache
{
    private static readonly AsyncLocal<bool> Bypassed = new();

    /// <summary>
    /// A request option naming whose answer this is, for the cache to keep it under in place of the request's
    /// <c>Authorization</c> header: set it where that header changes for the same caller (an OAuth access token renewed
    /// every hour for one user), so that the answers stored before a renewal are still found after it. Give a value that
    /// tells callers apart without being a credential (a hash of one): it is hashed into the key, and never stored.
    /// </summary>
    public static readonly HttpRequestOptionsKey<string> Identity = new("Pacer.CacheIdentity");

    /// <summary>
    /// Until the returned scope is disposed, GETs made on this async flow (and the tasks it starts) are sent without a
    /// conditional header and their answers are not stored. Charging, pacing and limits apply as always.
    /// </summary>
    public static IDisposable Bypass()
    {
        var scope = new Scope(Bypassed.Value);
        Bypassed.Value = true;
        return scope;
    }

    /// <summary>Whether the current async flow is inside <see cref="Bypass"/>.</summary>
    internal static bool IsBypassed => Bypassed.Value;

    private sealed class Scope(bool previous) : IDisposable
    {
        public void Dispose() => Bypassed.Value = previous;
    }
}
