using System.ComponentModel.DataAnnotations;

namespace Pacer.Emulators;

/// <summary>
/// Failures injected before a request reaches the emulated API, decided per request from the seed and the request's
/// arrival number, so the same seed and the same sequence of calls fail the same way every run. Injected failures cost
/// no quota and are counted apart from the API's own answers. The first three rates are exclusive and must sum to at most 1.
/// </summary>
public sealed class FaultOptions : IValidatableObject
{
    /// <summary>Share of requests answered 500 or 503 (half each, by the seed) with the service's error body. Default 0.</summary>
    [Range(0.0, 1.0)]
    public double ServerErrorRate { get; set; }

    /// <summary>Share of requests answered 429 with the service's rate-limit body. Default 0.</summary>
    [Range(0.0, 1.0)]
    public double RateLimitRate { get; set; }

    /// <summary>Share of requests that never get an answer: the request hangs until the client gives up. Default 0.</summary>
    [Range(0.0, 1.0)]
    public double TimeoutRate { get; set; }

    /// <summary>Share of otherwise normal answers whose body is trickled out over <see cref="SlowBodyDuration"/>. Default 0.</summary>
    [Range(0.0, 1.0)]
    public double SlowBodyRate { get; set; }

    /// <summary>How long a slow body takes from first to last byte. Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan SlowBodyDuration { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ServerErrorRate + RateLimitRate + TimeoutRate > 1.0)
        {
            yield return new ValidationResult(
                $"ServerErrorRate + RateLimitRate + TimeoutRate is {ServerErrorRate + RateLimitRate + TimeoutRate}; at most 1.",
                [nameof(ServerErrorRate), nameof(RateLimitRate), nameof(TimeoutRate)]);
        }
    }
}
