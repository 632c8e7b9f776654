using Microsoft.Extensions.Logging;

namespace Pacer.Sinks;

/// <summary>
/// A CSV file (see <see cref="CsvTableFile"/> for the format). Each write appends its new rows and flushes them to the
/// disk before it reports them, so a row reported written survives a crash; opening reads back the key column and cuts
/// off a torn last record. Nothing is left to do at completion.
/// </summary>
internal sealed class CsvTableSink(string path, ILogger logger) : TableSinkBase, IKeyedTableSink
{
    private CsvTableFile? file;
    private KeySet keys = new();

    public override string Description => path;

    public bool Holds(string key) => keys.Contains(key);

    protected override Task<IReadOnlySet<string>> OpenCoreAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        var opened = new CsvTableFile(path, schema, logger);
        keys = opened.Open(onRecord: null, cancellationToken);
        file = opened;
        return Task.FromResult<IReadOnlySet<string>>(keys.Snapshot());
    }

    protected override Task<SinkWriteResult> WriteCoreAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        var (fresh, freshKeys, skipped) = SelectFresh(rows, keys.Contains);
        if (fresh.Count > 0)
        {
            file!.Append(fresh, cancellationToken);
            keys.UnionWith(freshKeys);
        }
        return Task.FromResult(new SinkWriteResult(fresh.Count, skipped));
    }

    protected override Task CompleteCoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;
}
