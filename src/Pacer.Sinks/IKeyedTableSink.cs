namespace Pacer.Sinks;

/// <summary>
/// A sink that can say from any thread, while it writes, whether it holds a key: its keys are in a <see cref="KeySet"/>
/// and a write adds them once it is durable. A batching writer over it asks it instead of keeping a copy of every key.
/// </summary>
internal interface IKeyedTableSink
{
    /// <summary>Whether the destination holds <paramref name="key"/>: read when the sink opened, or written since.</summary>
    bool Holds(string key);
}
