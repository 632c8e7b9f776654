using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Pacer.Emulators.Hosting;

/// <summary>
/// ETags in the current Google style: 27 URL-safe characters (a 160-bit digest). Computed from a fingerprint of what
/// the representation depends on, so the same resource keeps its etag across calls, restarts and machines.
/// </summary>
internal static class ETags
{
    public static string Of(string fingerprint)
    {
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.UTF8.GetBytes(fingerprint), digest);
        return Base64Url.EncodeToString(digest);
    }

    /// <summary>True when an <c>If-None-Match</c> header names this etag (quoted or not, weak or not, in a list, or <c>*</c>).</summary>
    public static bool Matches(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            if (header is null)
                continue;
            foreach (var raw in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var candidate = raw.StartsWith("W/", StringComparison.Ordinal) ? raw[2..] : raw;
                candidate = candidate.Trim('"');
                if (candidate == "*" || string.Equals(candidate, etag, StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }
}
