using Microsoft.Extensions.Configuration;

namespace Pacer.Cli.Telemetry;

/// <summary>
/// The OpenTelemetry settings the CLI reads itself: whether to export at all, and the values that, when wrong, the SDK
/// would only report on an event source nobody listens to (a malformed endpoint; an unknown protocol, which it replaces
/// by gRPC) or by failing the host's start with a stack trace (malformed headers). This class references no
/// OpenTelemetry type, so checking costs nothing when export is off.
/// </summary>
internal static class OtlpSettings
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ProtocolKey = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string HeadersKey = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";

    private static readonly string[] Protocols = ["grpc", "http/protobuf"];
    private static readonly string[] Signals = ["TRACES", "METRICS", "LOGS"];

    /// <summary>Whether export is on; throws a usage error naming the setting and the fix when a value is unusable.</summary>
    public static bool IsConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var endpoint = configuration[EndpointKey];
        if (string.IsNullOrWhiteSpace(endpoint))
            return false;
        if (!IsHttpUrl(endpoint))
        {
            throw CliException.Usage(
                $"{EndpointKey} '{endpoint}' is not an http or https URL; set it to your collector's address, e.g. http://localhost:4317 " +
                $"(gRPC) or http://localhost:4318 with {ProtocolKey}=http/protobuf, or unset it to export nothing.");
        }
        foreach (var signal in Signals)
        {
            var key = $"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT";
            if (configuration[key] is { Length: > 0 } signalEndpoint && !IsHttpUrl(signalEndpoint))
                throw CliException.Usage($"{key} '{signalEndpoint}' is not an http or https URL; set it to the full address for that signal, e.g. http://localhost:4318/v1/{signal.ToLowerInvariant()}, or unset it.");
        }
        var protocol = configuration[ProtocolKey];
        if (!string.IsNullOrWhiteSpace(protocol) && !Protocols.Contains(protocol.Trim(), StringComparer.Ordinal))
            throw CliException.Usage($"{ProtocolKey} '{protocol}' is not supported; use grpc (the default) or http/protobuf, in lower case.");
        foreach (var key in Signals.Select(signal => $"OTEL_EXPORTER_OTLP_{signal}_HEADERS").Prepend(HeadersKey))
        {
            // The SDK throws from the host's start, with a stack trace, on a pair without '='. The value is not shown:
            // this is where a collector's API key goes.
            if (configuration[key] is { Length: > 0 } headers && !headers.Split(',').All(IsHeader))
                throw CliException.Usage($"{key} is not a list of name=value pairs (e.g. x-api-key=KEY,x-tenant=acme; percent-encode a comma in a value as %2C); its value is not shown here.");
        }
        return true;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static bool IsHeader(string pair) => pair.IndexOf('=', StringComparison.Ordinal) is var equals and > 0 && pair[..equals].Trim().Length > 0;
}
