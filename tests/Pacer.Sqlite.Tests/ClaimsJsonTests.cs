using System.Text.Json;
using Pacer.Storage;

namespace Pacer.Sqlite.Tests;

/// <summary>
/// The claims reader (src/Shared/Storage, compiled into both stores) must give what the serializer gives for any text,
/// including what it throws: its own path covers the shape the stores write, the rest goes to the serializer.
/// </summary>
public sealed class ClaimsJsonTests
{
    public static TheoryData<string> Texts => new()
    {
        "[]",
        """[{"resource":"api","cost":1}]""",
        """[{"resource":"youtube","cost":100},{"resource":"account:42","cost":1},{"resource":"sheets","cost":7}]""",
        """[ { "cost": 2, "resource": "a" } ]""", // PostgreSQL's jsonb text: keys sorted, spaces
        """[{"resource":"api"}]""", // cost left out: the record's default
        """[{"resource":"quo\"te \\ back\u00e9\u4e2d\ud83d\ude00","cost":3}]""",
        """[{"resource":"ünïcödé ресурс","cost":2147483647}]""",
        """[{"Resource":"api","Cost":2}]""", // other spelling: the serializer's (case-insensitive) rules
        """[{"resource":"api","cost":1,"note":"x"}]""", // an extra property: ignored by the serializer
        """[{"resource":"api","cost":-4}]""",
        "null",
        """[{"resource":null,"cost":1}]""",
        """[{"resource":"api","cost":1.5}]""",
        """[{"resource":"api","cost":"1"}]""",
        """[{"resource":"api","cost":1}""",
        """[{"resource":"api","cost":1}] x""",
        """{"resource":"api","cost":1}""",
        """[1]""",
        """[{"resource":"api","resource":"other","cost":1}]""",
        "",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Read_GivesWhatTheSerializerGives(string json) => AssertSame(json);

    [Fact]
    public void Read_LongTexts_GoThroughARentedBuffer()
    {
        var claims = Enumerable.Range(0, 40).Select(i => new ResourceClaim($"account:{i:D6}-ресурс", i + 1)).ToArray();
        var json = JobRows.WriteClaims(claims);
        Assert.True(json.Length > 256);
        Assert.Equal(claims, ClaimsJson.Read(json, StoreJson.Default.ResourceClaimArray));
        AssertSame(json);
    }

    [Fact]
    public void Read_RoundTripsWhatTheStoreWrites()
    {
        ResourceClaim[] claims = [new("youtube", 100), new("account:{42}", 1), new("a\"b", 2)];
        Assert.Equal(claims, ClaimsJson.Read(JobRows.WriteClaims(claims), StoreJson.Default.ResourceClaimArray));
    }

    private static void AssertSame(string json)
    {
        ResourceClaim[]? expected = null;
        Exception? expectedError = null;
        try
        {
            expected = json == "[]" ? [] : JsonSerializer.Deserialize(json, StoreJson.Default.ResourceClaimArray) ?? [];
        }
        catch (JsonException ex)
        {
            expectedError = ex;
        }

        if (expectedError is not null)
        {
            var actual = Assert.ThrowsAny<JsonException>(() => ClaimsJson.Read(json, StoreJson.Default.ResourceClaimArray));
            Assert.Equal(expectedError.GetType(), actual.GetType());
            return;
        }
        Assert.Equal(expected, ClaimsJson.Read(json, StoreJson.Default.ResourceClaimArray));
    }
}
