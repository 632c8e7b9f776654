namespace Pacer.Emulators.Sheets;

// The JSON of Sheets API v4 resources, as documented. The emulator's own types: clients must not share them.

internal sealed record ValueRange(string Range, string MajorDimension, IReadOnlyList<IReadOnlyList<object>>? Values);

internal sealed record UpdateValuesResponse(string SpreadsheetId, string UpdatedRange, int? UpdatedRows, int? UpdatedColumns, int? UpdatedCells);

internal sealed record AppendValuesResponse(string SpreadsheetId, string? TableRange, UpdateValuesResponse Updates);

internal sealed record BatchUpdateValuesResponse(
    string SpreadsheetId,
    int? TotalUpdatedRows,
    int? TotalUpdatedColumns,
    int? TotalUpdatedCells,
    int? TotalUpdatedSheets,
    IReadOnlyList<UpdateValuesResponse> Responses);

internal sealed record BatchGetValuesResponse(string SpreadsheetId, IReadOnlyList<ValueRange> ValueRanges);

internal sealed record BatchUpdateSpreadsheetResponse(string SpreadsheetId, IReadOnlyList<object> Replies);

internal sealed record AddSheetReply(AddSheetResponse AddSheet);

internal sealed record AddSheetResponse(SheetProperties Properties);

internal sealed record EmptyReply;

internal sealed record SpreadsheetResource(string SpreadsheetId, SpreadsheetProperties Properties, IReadOnlyList<SheetResource> Sheets, string SpreadsheetUrl);

internal sealed record SpreadsheetProperties(string Title, string Locale, string AutoRecalc, string TimeZone);

internal sealed record SheetResource(SheetProperties Properties);

internal sealed record SheetProperties(int SheetId, string Title, int Index, string SheetType, GridProperties GridProperties);

/// <summary>Zero counts are left out, as proto3 JSON does.</summary>
internal sealed record GridProperties(int RowCount, int ColumnCount, int? FrozenRowCount, int? FrozenColumnCount);
