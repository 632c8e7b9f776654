using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pacer.Sheets;

// The client's own JSON of Sheets API v4 bodies (shared with nothing, the emulator least of all): only the fields it
// sends and reads. Nulls are left out of requests, so a request object carries exactly one kind.

// ----- responses -----

internal sealed record SpreadsheetResponse(string? SpreadsheetId, SpreadsheetPropertiesResponse? Properties, IReadOnlyList<SheetResponse>? Sheets);

internal sealed record SpreadsheetPropertiesResponse(string? Title);

internal sealed record SheetResponse(SheetPropertiesResponse? Properties);

internal sealed record SheetPropertiesResponse(int? SheetId, string? Title, int? Index, GridPropertiesResponse? GridProperties);

internal sealed record GridPropertiesResponse(int? RowCount, int? ColumnCount, int? FrozenRowCount);

internal sealed record ValueRangeResponse(string? Range, string? MajorDimension, IReadOnlyList<IReadOnlyList<JsonElement>>? Values);

internal sealed record AppendValuesResponse(string? SpreadsheetId, string? TableRange, UpdateValuesResponse? Updates);

internal sealed record UpdateValuesResponse(string? UpdatedRange, int? UpdatedRows, int? UpdatedColumns, int? UpdatedCells);

internal sealed record BatchUpdateResponse(string? SpreadsheetId, IReadOnlyList<ReplyResponse>? Replies);

internal sealed record ReplyResponse(AddSheetReply? AddSheet);

internal sealed record AddSheetReply(SheetPropertiesResponse? Properties);

// ----- requests -----

internal sealed record ValueRangeRequest(string MajorDimension, IReadOnlyList<IReadOnlyList<CellValue>> Values);

internal sealed record BatchUpdateRequest(IReadOnlyList<RequestBody> Requests);

/// <summary>One request of a batch: exactly one property is set (the JSON "oneof").</summary>
internal sealed class RequestBody
{
    public AddSheetRequest? AddSheet { get; init; }

    public RepeatCellRequest? RepeatCell { get; init; }

    public UpdateSheetPropertiesRequest? UpdateSheetProperties { get; init; }

    public AddConditionalFormatRuleRequest? AddConditionalFormatRule { get; init; }
}

internal sealed record AddSheetRequest(SheetPropertiesInput Properties);

internal sealed record SheetPropertiesInput(int? SheetId, string? Title, GridPropertiesInput? GridProperties);

internal sealed record GridPropertiesInput(int? RowCount, int? ColumnCount, int? FrozenRowCount);

internal sealed record RepeatCellRequest(GridRange Range, CellData Cell, string Fields);

internal sealed record UpdateSheetPropertiesRequest(SheetPropertiesInput Properties, string Fields);

internal sealed record AddConditionalFormatRuleRequest(ConditionalFormatRule Rule, int Index);

internal sealed record ConditionalFormatRule(IReadOnlyList<GridRange> Ranges, BooleanRule BooleanRule);

internal sealed record BooleanRule(BooleanCondition Condition, CellFormat Format);

internal sealed record BooleanCondition(string Type, IReadOnlyList<ConditionValue> Values);

internal sealed record ConditionValue(string UserEnteredValue);

/// <summary>Sheets' GridRange: end indexes exclusive; a null end runs to the end of the grid.</summary>
internal sealed record GridRange(int SheetId, int? StartRowIndex, int? EndRowIndex, int? StartColumnIndex, int? EndColumnIndex);

internal sealed record CellData(CellFormat UserEnteredFormat);

internal sealed record CellFormat(Color? BackgroundColor, TextFormat? TextFormat);

internal sealed record TextFormat(bool Bold);

internal sealed record Color(double Red, double Green, double Blue);

/// <summary>
/// A cell of a RAW write: a JSON string, number, boolean or null. Dates become ISO 8601 text in UTC (<c>2024-05-14T17:00:08Z</c>),
/// which sorts and filters as text and reads back unchanged.
/// </summary>
[JsonConverter(typeof(CellValueConverter))]
internal readonly record struct CellValue(object? Value)
{
    public static CellValue From(object? value) => value switch
    {
        null or string or bool or long or double or decimal => new CellValue(value),
        int or short or byte or sbyte or ushort or uint => new CellValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong big => new CellValue((decimal)big),
        float single => new CellValue((double)single),
        DateTimeOffset time => new CellValue(Iso(time)),
        DateTime time => new CellValue(Iso(time.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(time, TimeSpan.Zero) : new DateTimeOffset(time.ToUniversalTime()))),
        DateOnly date => new CellValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"A cell cannot hold a {value.GetType().Name}: give a string, number, boolean, date or null."),
    };

    private static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}

internal sealed class CellValueConverter : JsonConverter<CellValue>
{
    public override CellValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Cells are only written.");

    public override void Write(Utf8JsonWriter writer, CellValue value, JsonSerializerOptions options)
    {
        switch (value.Value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case double:
                writer.WriteNullValue(); // NaN and infinities are not JSON: the cell stays empty
                break;
            default:
                throw new JsonException($"A cell cannot hold a {value.Value.GetType().Name}.");
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SpreadsheetResponse))]
[JsonSerializable(typeof(ValueRangeResponse))]
[JsonSerializable(typeof(AppendValuesResponse))]
[JsonSerializable(typeof(BatchUpdateResponse))]
[JsonSerializable(typeof(ValueRangeRequest))]
[JsonSerializable(typeof(BatchUpdateRequest))]
[JsonSerializable(typeof(IReadOnlyList<CellValue>))]
internal sealed partial class SheetsJson : JsonSerializerContext;
