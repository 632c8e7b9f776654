using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pacer.Emulators.Tests.Fixtures;

/// <summary>Reads a fixture and compares an emulator's answer with it: by shape, or exactly.</summary>
internal static class Fixture
{
    public static JsonElement Load(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name))).RootElement.Clone();

    /// <summary>Same property names at every level (none missing, none invented) and the same JSON types; arrays by their first element.</summary>
    public static void AssertSameShape(string name, JsonElement actual) => AssertShape(Load(name), actual, "$");

    public static void AssertSameJson(string name, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name))), JsonNode.Parse(actual)),
            $"{name} differs from the emulator's body:\n{actual}");

    private static void AssertShape(JsonElement expected, JsonElement actual, string path)
    {
        Assert.True(Kind(expected) == Kind(actual), $"{path}: the fixture has {Kind(expected)}, the emulator {Kind(actual)}.");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var wanted = expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
                var got = actual.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
                Assert.True(wanted.SequenceEqual(got), $"{path}: the fixture has [{string.Join(", ", wanted)}], the emulator [{string.Join(", ", got)}].");
                foreach (var property in expected.EnumerateObject())
                    AssertShape(property.Value, actual.GetProperty(property.Name), $"{path}.{property.Name}");
                break;
            case JsonValueKind.Array when expected.GetArrayLength() > 0:
                Assert.True(actual.GetArrayLength() > 0, $"{path}: the emulator's array is empty.");
                var i = 0;
                foreach (var item in actual.EnumerateArray())
                    AssertShape(expected[0], item, $"{path}[{i++}]");
                break;
        }
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        var kind => kind.ToString().ToLowerInvariant(),
    };
}
