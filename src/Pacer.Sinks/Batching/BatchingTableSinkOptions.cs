using System.ComponentModel.DataAnnotations;

namespace Pacer.Sinks;

/// <summary>When a batching sink (<see cref="TableSinks.Batching"/>) flushes the rows its writers handed over.</summary>
/// <remarks>
/// A flush starts when the pending rows reach <see cref="FlushRows"/>, when the oldest of them has waited
/// <see cref="FlushDelay"/>, or when <see cref="IBatchingTableSink.FlushAsync"/> or <see cref="ITableSink.CompleteAsync"/>
/// asks; it takes every row pending at that moment. One flush runs at a time, so rows that arrive meanwhile wait and go
/// together in the next one, which starts as soon as the current one ends if one of those conditions holds by then.
/// Batches therefore grow with the destination's latency: a slow destination (Google Sheets, about a second a call)
/// gets few large batches, a fast one (a local file) small frequent ones.
/// </remarks>
public sealed class BatchingTableSinkOptions
{
    /// <summary>Pending rows that start a flush without waiting for <see cref="FlushDelay"/>. Default: 500.</summary>
    [Range(1, 1_000_000)]
    public int FlushRows { get; set; } = 500;

    /// <summary>
    /// The longest the oldest pending row waits for more rows to join its batch (it may wait longer while the previous
    /// batch is being written). Zero flushes every write at once. Default: 250 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true)]
    public TimeSpan FlushDelay { get; set; } = TimeSpan.FromMilliseconds(250);
}
