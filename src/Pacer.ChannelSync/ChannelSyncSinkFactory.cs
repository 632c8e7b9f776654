using Microsoft.Extensions.Logging;
using Pacer.Sheets;
using Pacer.Sinks;

namespace Pacer.ChannelSync;

/// <summary>Destinations of channel sync: files and SQLite from Pacer.Sinks, <c>sheets:ID/TAB</c> when Sheets is set up.</summary>
internal sealed class ChannelSyncSinkFactory(ILoggerFactory loggers, ISheetsSinkFactory? sheets = null) : ITableSinkFactory
{
    public ITableSink Create(string destination)
    {
        var options = new TableDestinationOptions { LoggerFactory = loggers, Xlsx = { SheetName = "videos" } };
        options.Schemes["sheets"] = target => CreateSheets(destination, target);
        return TableSinks.Create(destination, options);
    }

    private ITableSink CreateSheets(string destination, string target)
    {
        if (sheets is null)
            throw new SinkException($"'{destination}': Google Sheets is not set up in this program (AddSheets), so sheets: destinations cannot be used.");
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == target.Length - 1)
            throw new SinkException($"'{destination}' names no tab; write sheets:SPREADSHEET_ID/TAB, e.g. sheets:1AbC.../Videos.");
        try
        {
            return sheets.Create(new SheetsSinkOptions { SpreadsheetId = target[..slash], Tab = target[(slash + 1)..], HighlightColumn = "views" });
        }
        catch (ArgumentException ex)
        {
            throw new SinkException($"'{destination}': {ex.Message}", ex);
        }
    }
}
