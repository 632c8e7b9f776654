using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Pacer.Storage;

/// <summary>Reads a job's stored resource claims (<c>[{"resource":"api","cost":1}]</c>) without the serializer.</summary>
/// <remarks>
/// Admission reads the claims of every candidate in every dispatch pass. Through <see cref="JsonSerializer"/> each read
/// cost about 1.5 KB of garbage (a stack of read frames for the nested objects, the constructor's argument state, a
/// list then an array): a quarter of what a paced HTTP job allocated in the pacing benchmark, so gen0 collections,
/// whose pauses hold up every job's start. The claims a store writes are one shape, read here with a
/// <see cref="Utf8JsonReader"/>; anything else (other property spellings, extra properties, nulls, malformed JSON) goes
/// to the serializer, so the result and the errors are the serializer's.
/// </remarks>
internal static class ClaimsJson
{
    private const int StackLimit = 256;

    public static ResourceClaim[] Read(string json, JsonTypeInfo<ResourceClaim[]> fallback)
    {
        if (json == "[]")
            return [];
        var max = Encoding.UTF8.GetMaxByteCount(json.Length);
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, buffer);
            ResourceClaim[]? claims = null;
            try
            {
                claims = TryRead(buffer[..length]);
            }
            catch (JsonException)
            {
                // Malformed: the serializer below throws for it, in its own words and type, as it always did.
            }
            return claims ?? JsonSerializer.Deserialize(json, fallback) ?? [];
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The claims, or null when the text is not exactly the shape the stores write.</summary>
    private static ResourceClaim[]? TryRead(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            return null;
        var claims = new ResourceClaim[1];
        var count = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
                return reader.Read() ? null : count == claims.Length ? claims : claims[..count];
            if (reader.TokenType != JsonTokenType.StartObject)
                return null;
            string? resource = null;
            int? cost = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resource"u8) && resource is null)
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                        return null;
                    resource = reader.GetString();
                }
                else if (reader.ValueTextEquals("cost"u8) && cost is null)
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value))
                        return null;
                    cost = value;
                }
                else
                {
                    return null;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || resource is null)
                return null;
            if (count == claims.Length)
                Array.Resize(ref claims, count * 2);
            claims[count++] = cost is { } c ? new ResourceClaim(resource, c) : new ResourceClaim(resource);
        }
        return null;
    }
}
