namespace Pacer;

/// <summary>Randomness for jitter, injectable so tests are deterministic.</summary>
public interface IRandomSource
{
    /// <summary>A value in [0, 1).</summary>
    double NextDouble();
}

internal sealed class SharedRandomSource : IRandomSource
{
    public double NextDouble() => Random.Shared.NextDouble();
}
