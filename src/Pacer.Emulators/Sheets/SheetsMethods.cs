namespace Pacer.Emulators;

/// <summary>Method names as the API reference spells them, used by the counters.</summary>
public static class SheetsMethods
{
    public const string Create = "spreadsheets.create";
    public const string Get = "spreadsheets.get";
    public const string BatchUpdate = "spreadsheets.batchUpdate";
    public const string ValuesGet = "spreadsheets.values.get";
    public const string ValuesBatchGet = "spreadsheets.values.batchGet";
    public const string ValuesUpdate = "spreadsheets.values.update";
    public const string ValuesAppend = "spreadsheets.values.append";
    public const string ValuesBatchUpdate = "spreadsheets.values.batchUpdate";
}
