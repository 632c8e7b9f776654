namespace Pacer.Tests;

/// <summary>Tests that measure real time: they run after the others, one at a time, so no other test's load skews them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeCollection
{
    public const string Name = "Real time";
}
