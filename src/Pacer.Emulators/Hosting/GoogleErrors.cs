using System.Text.Json.Serialization;

namespace Pacer.Emulators.Hosting;

/// <summary>Google's JSON error envelope: <c>{"error":{"code","message","errors":[...],"status","details":[...]}}</c>.</summary>
internal sealed record GoogleError(GoogleErrorBody Error);

internal sealed record GoogleErrorBody(
    int Code,
    string Message,
    IReadOnlyList<GoogleErrorItem>? Errors = null,
    string? Status = null,
    IReadOnlyList<object>? Details = null);

/// <summary>One entry of the v3 APIs' <c>errors</c> array.</summary>
internal sealed record GoogleErrorItem(string Message, string Domain, string Reason);

/// <summary>A <c>google.rpc.ErrorInfo</c> detail.</summary>
internal sealed record GoogleErrorInfo(string Reason, string Domain, IReadOnlyDictionary<string, string> Metadata)
{
    [JsonPropertyName("@type")]
    [JsonPropertyOrder(-1)]
    public string Type => "type.googleapis.com/google.rpc.ErrorInfo";
}
