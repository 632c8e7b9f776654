using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pacer.Emulators.Hosting;

namespace Pacer.Emulators.Sheets;

/// <summary>Which method a request is, whether it counts as a write, and the ids in its path.</summary>
internal readonly record struct SheetsRoute(string Method, bool Write, string? SpreadsheetId, string? Range);

/// <summary>
/// <c>/v4/spreadsheets</c>: values get/batchGet/update/append/batchUpdate, spreadsheets get/create/batchUpdate. Order of
/// checks: credentials, then the per-minute limits (invalid requests count too), then the method. Every method checks
/// all of its input before it changes anything, so a refused request leaves the spreadsheet as it was.
/// </summary>
internal sealed class SheetsApi : IEmulatorApi
{
    private const string Prefix = "/v4/spreadsheets";
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly ConcurrentDictionary<string, Spreadsheet> _spreadsheets = new(StringComparer.Ordinal);
    private readonly SheetsRateLimits _limits;
    private readonly SheetsCounters _counters;
    private readonly HashSet<string> _tokens;
    private readonly OAuthEndpoints _oauth;
    private readonly bool _createOnDemand;
    private readonly long _maxCells;
    private readonly int _defaultRows;
    private readonly int _defaultColumns;
    private readonly long _projectNumber;
    private readonly Lock _randomGate = new();
    private SeededRandom _random;

    public SheetsApi(SheetsEmulatorOptions options, SheetsCounters counters, OAuthEndpoints oauth)
    {
        _oauth = oauth;
        _limits = new SheetsRateLimits(options);
        _counters = counters;
        _tokens = new HashSet<string>(options.BearerTokens, StringComparer.Ordinal);
        _createOnDemand = options.CreateOnDemand;
        _maxCells = options.MaxCellsPerSpreadsheet;
        _defaultRows = options.DefaultRowCount;
        _defaultColumns = options.DefaultColumnCount;
        _projectNumber = options.ProjectNumber;
        _random = new SeededRandom(options.Seed, stream: 0x5EE7_0000UL);
        foreach (var id in options.SpreadsheetIds)
            Create(id, "Untitled spreadsheet", ["Sheet1"]);
    }

    public IEnumerable<string> SpreadsheetIds => _spreadsheets.Keys.Order(StringComparer.Ordinal);

    public Spreadsheet Create(string id, string title, IReadOnlyList<string> sheetTitles)
    {
        var spreadsheet = new Spreadsheet(id, title);
        foreach (var sheetTitle in sheetTitles.DefaultIfEmpty("Sheet1"))
        {
            if (spreadsheet.Find(sheetTitle) is not null)
                throw new ArgumentException($"Two tabs are called '{sheetTitle}'.", nameof(sheetTitles));
            spreadsheet.Sheets.Add(NewSheet(spreadsheet.Sheets.Count == 0 ? 0 : NewSheetId(spreadsheet.Sheets), sheetTitle, _defaultRows, _defaultColumns));
        }
        if (!_spreadsheets.TryAdd(id, spreadsheet))
            throw new ArgumentException($"A spreadsheet '{id}' exists already.", nameof(id));
        return spreadsheet;
    }

    public Spreadsheet? Find(string id) => _spreadsheets.GetValueOrDefault(id);

    public async Task HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (RouteOf(context.Request) is not { } route)
        {
            await WriteAsync(context, SheetsErrors.MethodNotFound(), cancellationToken);
            return;
        }
        _counters.CountCall(route.Method);
        if (Authenticate(context.Request, route.Write, out var user) is { } refused)
        {
            await WriteAsync(context, refused, cancellationToken);
            return;
        }
        if (_limits.TryAdmit(user, route.Write) is { } limit)
        {
            _counters.CountRateLimited();
            await WriteAsync(context, SheetsErrors.RateLimited(limit, _projectNumber), cancellationToken);
            return;
        }
        _counters.CountAdmitted(route.Write);

        SheetsAnswer answer;
        try
        {
            var body = route.Write ? await EmulatorJson.ReadAsync(context, cancellationToken) : null;
            answer = Dispatch(route, context.Request.Query, body, PrincipalOf(user));
        }
        catch (SheetsRequestException refusal)
        {
            answer = refusal.Answer;
        }
        await WriteAsync(context, answer, cancellationToken);
    }

    public Task WriteInjectedFailureAsync(HttpContext context, int statusCode, CancellationToken cancellationToken)
    {
        var answer = statusCode == StatusCodes.Status429TooManyRequests
            ? SheetsErrors.RateLimited(new SheetsLimit(!HttpMethods.IsGet(context.Request.Method), PerUser: true, 60), _projectNumber)
            : SheetsErrors.Injected(statusCode);
        return WriteAsync(context, answer, cancellationToken);
    }

    public Task HandleAdminAsync(HttpContext context, PathString path, CancellationToken cancellationToken) =>
        SheetsAdmin.HandleAsync(this, _counters, context, path, cancellationToken);

    /// <summary>The OAuth token endpoint, as Google serves it on a host of its own: no API latency, faults or limits.</summary>
    public ValueTask<bool> TryHandleOutsideApiAsync(HttpContext context, CancellationToken cancellationToken) =>
        _oauth.TryHandleAsync(context, cancellationToken);

    /// <summary>
    /// Who a caller is, as sharing names them: a service account's e-mail address, or for a user the refresh token
    /// their tokens were issued under (the emulator's users have no addresses), or a configured static access token.
    /// </summary>
    internal static string PrincipalOf(string user) =>
        user.StartsWith("grant:", StringComparison.Ordinal) ? user["grant:".Length..] is var grant && grant.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal)
            ? grant[ServiceAccountPrefix.Length..]
            : grant
        : user;

    private static readonly string ServiceAccountPrefix = OAuthEndpoints.ServiceAccountGrant("");

    private SheetsAnswer Dispatch(SheetsRoute route, IQueryCollection query, JsonElement? body, string principal)
    {
        if (route.SpreadsheetId is null)
            return CreateSpreadsheet(body, principal);
        var spreadsheet = Open(route.SpreadsheetId);
        lock (spreadsheet.Gate)
        {
            if (spreadsheet.SharedWith is { } shared && !shared.Contains(principal))
                return SheetsErrors.PermissionDenied();
            return route.Method switch
            {
                SheetsMethods.Get => SheetsAnswer.Ok(Describe(spreadsheet)),
                SheetsMethods.BatchUpdate => BatchUpdate(spreadsheet, Object(body)),
                SheetsMethods.ValuesGet => SheetsAnswer.Ok(GetValues(spreadsheet, route.Range!, query["majorDimension"].ToString(), query["valueRenderOption"].ToString())),
                SheetsMethods.ValuesBatchGet => BatchGet(spreadsheet, query),
                SheetsMethods.ValuesUpdate => SheetsAnswer.Ok(Update(spreadsheet, route.Range!, query, Object(body))),
                SheetsMethods.ValuesAppend => SheetsAnswer.Ok(Append(spreadsheet, route.Range!, query, Object(body))),
                _ => BatchUpdateValues(spreadsheet, Object(body)),
            };
        }
    }

    private static SheetsRoute? RouteOf(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        var method = request.Method;
        if (path == Prefix)
            return HttpMethods.IsPost(method) ? new SheetsRoute(SheetsMethods.Create, true, null, null) : null;
        if (!path.StartsWith(Prefix + "/", StringComparison.Ordinal))
            return null;
        var rest = path[(Prefix.Length + 1)..];
        var values = rest.IndexOf("/values", StringComparison.Ordinal);
        if (values < 0)
        {
            if (rest.EndsWith(":batchUpdate", StringComparison.Ordinal))
                return HttpMethods.IsPost(method) ? new SheetsRoute(SheetsMethods.BatchUpdate, true, rest[..^":batchUpdate".Length], null) : null;
            return HttpMethods.IsGet(method) && !rest.Contains('/', StringComparison.Ordinal) ? new SheetsRoute(SheetsMethods.Get, false, rest, null) : null;
        }
        var id = rest[..values];
        var tail = rest[(values + "/values".Length)..];
        if (tail == ":batchUpdate")
            return HttpMethods.IsPost(method) ? new SheetsRoute(SheetsMethods.ValuesBatchUpdate, true, id, null) : null;
        if (tail == ":batchGet")
            return HttpMethods.IsGet(method) ? new SheetsRoute(SheetsMethods.ValuesBatchGet, false, id, null) : null;
        if (!tail.StartsWith('/') || tail.Length == 1)
            return null;
        // Kestrel decodes the path but keeps %2F, so a slash in a tab's title arrives encoded.
        var range = tail[1..].Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (range.EndsWith(":append", StringComparison.Ordinal))
            return HttpMethods.IsPost(method) ? new SheetsRoute(SheetsMethods.ValuesAppend, true, id, range[..^":append".Length]) : null;
        if (HttpMethods.IsGet(method))
            return new SheetsRoute(SheetsMethods.ValuesGet, false, id, range);
        return HttpMethods.IsPut(method) ? new SheetsRoute(SheetsMethods.ValuesUpdate, true, id, range) : null;
    }

    private SheetsAnswer? Authenticate(HttpRequest request, bool write, out string user)
    {
        user = "";
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return SheetsErrors.MissingCredentials();
        var token = authorization["Bearer ".Length..].Trim();
        if (_oauth.IsValid(token) is { } issued)
        {
            // Every token issued for one grant is one user: the per-user limits do not start afresh with each renewal.
            user = "grant:" + _oauth.GrantOf(token);
            if (!issued)
                return SheetsErrors.InvalidCredentials();
            var scopes = write ? GoogleScopes.SheetsWrite : GoogleScopes.SheetsRead;
            return _oauth.Allows(token, scopes) ? null : SheetsErrors.InsufficientScopes(scopes);
        }
        user = token;
        return user.Length > 0 && (_tokens.Count == 0 || _tokens.Contains(user)) ? null : SheetsErrors.InvalidCredentials();
    }

    private Spreadsheet Open(string id)
    {
        if (_spreadsheets.TryGetValue(id, out var spreadsheet))
            return spreadsheet;
        if (!_createOnDemand)
            throw new SheetsRequestException(SheetsErrors.NotFound());
        var created = new Spreadsheet(id, "Untitled spreadsheet");
        created.Sheets.Add(NewSheet(0, "Sheet1", _defaultRows, _defaultColumns));
        return _spreadsheets.GetOrAdd(id, created);
    }

    /// <summary>A new spreadsheet is its creator's alone, as on Google, until shared with others.</summary>
    private SheetsAnswer CreateSpreadsheet(JsonElement? body, string creator)
    {
        var request = body is { ValueKind: JsonValueKind.Object } b ? b : default;
        var title = Property(Property(request, "properties"), "title") is { ValueKind: JsonValueKind.String } t ? t.GetString()! : "Untitled spreadsheet";
        var titles = Property(request, "sheets") is { ValueKind: JsonValueKind.Array } sheets
            ? sheets.EnumerateArray().Select((s, i) => Property(Property(s, "properties"), "title") is { ValueKind: JsonValueKind.String } n ? n.GetString()! : $"Sheet{i + 1}").ToList()
            : [];
        if (titles.Distinct(StringComparer.OrdinalIgnoreCase).Count() != titles.Count)
            throw new SheetsRequestException(SheetsErrors.InvalidArgument("Invalid sheets: two sheets have the same name."));
        string id;
        lock (_randomGate)
        {
            Span<char> chars = stackalloc char[44];
            chars[0] = '1';
            for (var i = 1; i < chars.Length; i++)
                chars[i] = IdAlphabet[_random.Next(0, IdAlphabet.Length)];
            id = new string(chars);
        }
        var spreadsheet = Create(id, title, titles);
        lock (spreadsheet.Gate)
        {
            spreadsheet.SharedWith = [creator];
            return SheetsAnswer.Ok(Describe(spreadsheet));
        }
    }

    private ValueRange GetValues(Spreadsheet spreadsheet, string text, string majorDimension, string render)
    {
        var (sheet, range) = Resolve(spreadsheet, text);
        var columns = Dimension(majorDimension);
        var formatted = render switch
        {
            "" or "FORMATTED_VALUE" => true,
            "UNFORMATTED_VALUE" or "FORMULA" => false,
            _ => throw new SheetsRequestException(SheetsErrors.InvalidArgument(
                $"Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), \"{render}\"")),
        };
        var endRow = range.EndRow ?? sheet.RowCount;
        var endColumn = range.EndColumn ?? sheet.ColumnCount;
        if (range.StartRow >= sheet.RowCount || range.StartColumn >= sheet.ColumnCount || endRow > sheet.RowCount || endColumn > sheet.ColumnCount)
            throw new SheetsRequestException(SheetsErrors.InvalidArgument(
                $"Range ({A1Range.Format(sheet.Title, range.StartRow, range.StartColumn, endRow, endColumn)}) exceeds grid limits. Max rows: {sheet.RowCount}, max columns: {sheet.ColumnCount}"));

        var lines = new List<List<object>>();
        var outer = columns ? endColumn - range.StartColumn : endRow - range.StartRow;
        var inner = columns ? endRow - range.StartRow : endColumn - range.StartColumn;
        for (var i = 0; i < outer; i++)
        {
            var line = new List<object>();
            var kept = 0;
            for (var j = 0; j < inner; j++)
            {
                var cell = columns ? sheet.Get(range.StartRow + j, range.StartColumn + i) : sheet.Get(range.StartRow + i, range.StartColumn + j);
                line.Add(formatted ? CellValues.Formatted(cell) : CellValues.Unformatted(cell));
                if (cell is not null)
                    kept = j + 1;
            }
            // Trailing empty cells are left out, and below, trailing empty rows.
            line.RemoveRange(kept, line.Count - kept);
            lines.Add(line);
        }
        var last = lines.FindLastIndex(l => l.Count > 0);
        lines.RemoveRange(last + 1, lines.Count - last - 1);
        return new ValueRange(A1Range.Format(sheet.Title, range.StartRow, range.StartColumn, endRow, endColumn), columns ? "COLUMNS" : "ROWS",
            lines.Count == 0 ? null : lines);
    }

    private SheetsAnswer BatchGet(Spreadsheet spreadsheet, IQueryCollection query)
    {
        var ranges = query["ranges"];
        var results = ranges.Select(r => GetValues(spreadsheet, r ?? "", query["majorDimension"].ToString(), query["valueRenderOption"].ToString())).ToList();
        return SheetsAnswer.Ok(new BatchGetValuesResponse(spreadsheet.Id, results));
    }

    private UpdateValuesResponse Update(Spreadsheet spreadsheet, string text, IQueryCollection query, JsonElement body)
    {
        var userEntered = ValueInputOption(query["valueInputOption"].ToString());
        var (sheet, range) = Resolve(spreadsheet, text);
        var write = Plan(spreadsheet, sheet, range, text, body, userEntered, bounded: true, new Dictionary<Sheet, (int, int)>());
        return Apply(spreadsheet, write);
    }

    /// <summary>
    /// Finds the table in the range (its rows from the range's first row to the last row with a value in the range's
    /// columns) and writes the new rows right after it, starting at the range's first column. INSERT_ROWS first inserts
    /// as many rows there, moving everything below down; OVERWRITE (the default) writes over what is there.
    /// </summary>
    private AppendValuesResponse Append(Spreadsheet spreadsheet, string text, IQueryCollection query, JsonElement body)
    {
        var userEntered = ValueInputOption(query["valueInputOption"].ToString());
        var insert = query["insertDataOption"].ToString() switch
        {
            "" or "OVERWRITE" => false,
            "INSERT_ROWS" => true,
            var other => throw new SheetsRequestException(SheetsErrors.InvalidArgument(
                $"Invalid value at 'insert_data_option' (type.googleapis.com/google.apps.sheets.v4.InsertDataOption), \"{other}\"")),
        };
        var (sheet, range) = Resolve(spreadsheet, text);
        var lastRow = sheet.LastRowWithData(range.StartRow, range.StartColumn, range.EndColumn);
        string? tableRange = null;
        if (lastRow >= 0)
        {
            var end = Math.Max(range.StartColumn + 1, sheet.EndColumnWithData(range.StartRow, lastRow + 1, range.StartColumn, range.EndColumn));
            tableRange = A1Range.Format(sheet.Title, range.StartRow, range.StartColumn, lastRow + 1, end);
        }
        var target = range with { StartRow = lastRow >= 0 ? lastRow + 1 : range.StartRow, EndRow = null, EndColumn = null };
        var write = Plan(spreadsheet, sheet, target, text, body, userEntered, bounded: false, new Dictionary<Sheet, (int, int)>(),
            extraRows: insert ? RowCountOf(body) : 0);
        if (insert)
            sheet.InsertRows(target.StartRow, write.Rows.Count);
        return new AppendValuesResponse(spreadsheet.Id, tableRange, Apply(spreadsheet, write));
    }

    private SheetsAnswer BatchUpdateValues(Spreadsheet spreadsheet, JsonElement body)
    {
        var userEntered = ValueInputOption(Property(body, "valueInputOption") is { ValueKind: JsonValueKind.String } v ? v.GetString()! : "");
        var data = Property(body, "data") is { ValueKind: JsonValueKind.Array } d ? d.EnumerateArray().ToList() : [];
        var growth = new Dictionary<Sheet, (int, int)>();
        var writes = new List<ValuesWrite>();
        foreach (var entry in data)
        {
            var text = Property(entry, "range") is { ValueKind: JsonValueKind.String } r ? r.GetString()! : "";
            var (sheet, range) = Resolve(spreadsheet, text);
            writes.Add(Plan(spreadsheet, sheet, range, text, entry, userEntered, bounded: true, growth));
        }
        // Everything was checked: now all of it is written.
        var responses = writes.Select(w => Apply(spreadsheet, w)).ToList();
        int? Total(Func<UpdateValuesResponse, int?> of) => responses.Sum(r => of(r) ?? 0) is var sum and > 0 ? sum : null;
        return SheetsAnswer.Ok(new BatchUpdateValuesResponse(spreadsheet.Id, Total(r => r.UpdatedRows), Total(r => r.UpdatedColumns), Total(r => r.UpdatedCells),
            writes.Select(w => w.Sheet).Distinct().Count() is var sheets and > 0 ? sheets : null, responses));
    }

    /// <summary>A checked write: where it goes and its cells (Skip: leave the cell as it is; a null cell: empty it).</summary>
    private sealed record ValuesWrite(Sheet Sheet, int StartRow, int StartColumn, List<List<(object? Cell, bool Skip)>> Rows);

    private ValuesWrite Plan(Spreadsheet spreadsheet, Sheet sheet, A1Range range, string text, JsonElement body, bool userEntered, bool bounded,
        Dictionary<Sheet, (int Rows, int Columns)> growth, int extraRows = 0)
    {
        if (Property(body, "range") is { ValueKind: JsonValueKind.String } bodyRange && bounded && !SameRange(spreadsheet, bodyRange.GetString()!, text))
            throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Requested range [{bodyRange.GetString()}] did not match the URL range [{text}]"));
        var columns = Dimension(Property(body, "majorDimension") is { ValueKind: JsonValueKind.String } m ? m.GetString()! : "");
        var lines = new List<List<(object?, bool)>>();
        if (Property(body, "values") is { ValueKind: JsonValueKind.Array } values)
        {
            var i = 0;
            foreach (var line in values.EnumerateArray())
            {
                if (line.ValueKind != JsonValueKind.Array)
                    throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Invalid values[{i}]: a row must be a list of values."));
                var j = 0;
                var cells = new List<(object?, bool)>();
                foreach (var value in line.EnumerateArray())
                {
                    if (!CellValues.TryRead(value, userEntered, out var cell, out var skip))
                        throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Invalid values[{i}][{j}]: {value.ValueKind.ToString().ToLowerInvariant()}"));
                    cells.Add((cell, skip));
                    j++;
                }
                lines.Add(cells);
                i++;
            }
        }
        var rows = columns ? Transpose(lines) : lines;
        var height = rows.Count;
        var width = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
        if (bounded && range.EndRow is { } endRow && range.StartRow + height > endRow)
            throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Requested writing within range [{text}], but tried writing to row [{endRow + 1}]"));
        if (bounded && range.EndColumn is { } endColumn && range.StartColumn + width > endColumn)
            throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Requested writing within range [{text}], but tried writing to column [{A1Range.Column(endColumn)}]"));

        // The grid grows to fit, within the workbook's cell limit (counting what earlier writes of the same batch add).
        var (rowsBefore, columnsBefore) = growth.TryGetValue(sheet, out var projected) ? projected : (sheet.RowCount, sheet.ColumnCount);
        growth[sheet] = (Math.Max(rowsBefore + extraRows, range.StartRow + height), Math.Max(columnsBefore, range.StartColumn + width));
        var cellsAfter = spreadsheet.Sheets.Sum(s => growth.TryGetValue(s, out var size) ? (long)size.Rows * size.Columns : s.CellCount);
        if (cellsAfter > _maxCells)
            throw new SheetsRequestException(SheetsErrors.TooManyCells(_maxCells));
        return new ValuesWrite(sheet, range.StartRow, range.StartColumn, rows);
    }

    private static UpdateValuesResponse Apply(Spreadsheet spreadsheet, ValuesWrite write)
    {
        var sheet = write.Sheet;
        var height = write.Rows.Count;
        var width = height == 0 ? 0 : write.Rows.Max(r => r.Count);
        sheet.RowCount = Math.Max(sheet.RowCount, write.StartRow + height);
        sheet.ColumnCount = Math.Max(sheet.ColumnCount, write.StartColumn + width);
        var cells = 0;
        var rows = new HashSet<int>();
        var columns = new HashSet<int>();
        for (var i = 0; i < height; i++)
        {
            for (var j = 0; j < write.Rows[i].Count; j++)
            {
                var (cell, skip) = write.Rows[i][j];
                if (skip)
                    continue;
                sheet.Set(write.StartRow + i, write.StartColumn + j, cell);
                cells++;
                rows.Add(i);
                columns.Add(j);
            }
        }
        var updated = height == 0
            ? A1Range.Format(sheet.Title, write.StartRow, write.StartColumn, write.StartRow + 1, write.StartColumn + 1)
            : A1Range.Format(sheet.Title, write.StartRow, write.StartColumn, write.StartRow + height, write.StartColumn + Math.Max(1, width));
        return new UpdateValuesResponse(spreadsheet.Id, updated, NullIfZero(rows.Count), NullIfZero(columns.Count), NullIfZero(cells));
    }

    /// <summary>Requests applied in order to a copy of the tabs, and kept only if every one of them is valid.</summary>
    private SheetsAnswer BatchUpdate(Spreadsheet spreadsheet, JsonElement body)
    {
        var sheets = spreadsheet.Sheets.Select(s => s.CloneProperties()).ToList();
        var recorded = new List<(string, string)>(spreadsheet.Recorded);
        var replies = new List<object>();
        var requests = Property(body, "requests") is { ValueKind: JsonValueKind.Array } r ? r.EnumerateArray().ToList() : [];
        for (var i = 0; i < requests.Count; i++)
        {
            var kinds = requests[i].ValueKind == JsonValueKind.Object ? requests[i].EnumerateObject().ToList() : [];
            if (kinds.Count != 1)
                throw new SheetsRequestException(SheetsErrors.InvalidArgument(kinds.Count == 0
                    ? $"Invalid requests[{i}]: No request set."
                    : $"Invalid value at 'requests[{i}]' (oneof), oneof field 'kind' is already set. Cannot set '{kinds[1].Name}'"));
            var (kind, request) = (kinds[0].Name, kinds[0].Value);
            replies.Add(kind switch
            {
                "addSheet" => AddSheet(sheets, i, request),
                "deleteSheet" => DeleteSheet(sheets, i, request),
                "updateSheetProperties" => UpdateSheetProperties(sheets, i, request),
                "repeatCell" => CheckGrids(sheets, i, kind, [Property(request, "range")]),
                "addConditionalFormatRule" => CheckGrids(sheets, i, kind,
                    Property(Property(request, "rule"), "ranges") is { ValueKind: JsonValueKind.Array } ranges ? [.. ranges.EnumerateArray()] : []),
                // Other kinds are recorded without effect: formatting is not emulated.
                _ => new EmptyReply(),
            });
            recorded.Add((kind, request.GetRawText()));
        }
        spreadsheet.Sheets = sheets;
        spreadsheet.Recorded = recorded;
        return SheetsAnswer.Ok(new BatchUpdateSpreadsheetResponse(spreadsheet.Id, replies));
    }

    private AddSheetReply AddSheet(List<Sheet> sheets, int index, JsonElement request)
    {
        var properties = Property(request, "properties");
        var title = Property(properties, "title") is { ValueKind: JsonValueKind.String } t ? t.GetString()! : NextSheetTitle(sheets);
        if (sheets.Exists(s => string.Equals(s.Title, title, StringComparison.OrdinalIgnoreCase)))
            throw new SheetsRequestException(SheetsErrors.DuplicateSheet(index, title));
        var id = Int(properties, "sheetId") ?? NewSheetId(sheets);
        if (sheets.Exists(s => s.SheetId == id))
            throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Invalid requests[{index}].addSheet: A sheet with the id {id} already exists."));
        var grid = Property(properties, "gridProperties");
        var sheet = NewSheet(id, title, Int(grid, "rowCount") ?? _defaultRows, Int(grid, "columnCount") ?? _defaultColumns);
        sheet.FrozenRowCount = Int(grid, "frozenRowCount") ?? 0;
        sheet.FrozenColumnCount = Int(grid, "frozenColumnCount") ?? 0;
        if (sheets.Sum(s => s.CellCount) + sheet.CellCount > _maxCells)
            throw new SheetsRequestException(SheetsErrors.TooManyCells(_maxCells));
        sheets.Insert(Math.Clamp(Int(properties, "index") ?? sheets.Count, 0, sheets.Count), sheet);
        return new AddSheetReply(new AddSheetResponse(PropertiesOf(sheet, sheets.IndexOf(sheet))));
    }

    private static EmptyReply DeleteSheet(List<Sheet> sheets, int index, JsonElement request)
    {
        var id = Int(request, "sheetId") ?? 0;
        var sheet = sheets.Find(s => s.SheetId == id) ?? throw new SheetsRequestException(SheetsErrors.NoGrid(index, "deleteSheet", id));
        if (sheets.Count == 1)
            throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Invalid requests[{index}].deleteSheet: You can't remove all the sheets in a document."));
        sheets.Remove(sheet);
        return new EmptyReply();
    }

    /// <summary>Applies the <c>fields</c> it knows (title, frozen rows and columns, grid size); the rest is recorded only.</summary>
    private static EmptyReply UpdateSheetProperties(List<Sheet> sheets, int index, JsonElement request)
    {
        var properties = Property(request, "properties");
        var id = Int(properties, "sheetId") ?? 0;
        var sheet = sheets.Find(s => s.SheetId == id) ?? throw new SheetsRequestException(SheetsErrors.NoGrid(index, "updateSheetProperties", id));
        var fields = Property(request, "fields") is { ValueKind: JsonValueKind.String } f ? f.GetString()! : "";
        if (fields.Length == 0)
            throw new SheetsRequestException(SheetsErrors.InvalidArgument($"Invalid requests[{index}].updateSheetProperties: You must specify at least one field to update."));
        var grid = Property(properties, "gridProperties");
        foreach (var field in fields.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var all = field == "*";
            if (all || field == "title")
            {
                if (Property(properties, "title") is { ValueKind: JsonValueKind.String } title)
                {
                    var name = title.GetString()!;
                    if (sheets.Exists(s => s != sheet && string.Equals(s.Title, name, StringComparison.OrdinalIgnoreCase)))
                        throw new SheetsRequestException(SheetsErrors.InvalidArgument(
                            $"Invalid requests[{index}].updateSheetProperties: A sheet with the name \"{name}\" already exists. Please enter another name."));
                    sheet.Title = name;
                }
            }
            if (all || field is "gridProperties" or "gridProperties.frozenRowCount")
                sheet.FrozenRowCount = Int(grid, "frozenRowCount") ?? (all || field == "gridProperties" ? sheet.FrozenRowCount : 0);
            if (all || field is "gridProperties" or "gridProperties.frozenColumnCount")
                sheet.FrozenColumnCount = Int(grid, "frozenColumnCount") ?? (all || field == "gridProperties" ? sheet.FrozenColumnCount : 0);
            if ((all || field is "gridProperties" or "gridProperties.rowCount") && Int(grid, "rowCount") is { } rows)
                sheet.RowCount = rows;
            if ((all || field is "gridProperties" or "gridProperties.columnCount") && Int(grid, "columnCount") is { } columns)
                sheet.ColumnCount = columns;
        }
        return new EmptyReply();
    }

    private static EmptyReply CheckGrids(List<Sheet> sheets, int index, string kind, IReadOnlyList<JsonElement> ranges)
    {
        foreach (var range in ranges)
        {
            var id = Int(range, "sheetId") ?? 0;
            if (!sheets.Exists(s => s.SheetId == id))
                throw new SheetsRequestException(SheetsErrors.NoGrid(index, kind, id));
        }
        return new EmptyReply();
    }

    /// <summary>A range's tab and cells; a bare name is a tab's title when one has it, else cells of the first tab.</summary>
    internal static (Sheet Sheet, A1Range Range) Resolve(Spreadsheet spreadsheet, string text)
    {
        if (!text.Contains('!', StringComparison.Ordinal) && !text.StartsWith('\'') && spreadsheet.Find(text) is { } named)
            return (named, new A1Range(named.Title, 0, 0, null, null));
        if (!A1Range.TryParse(text, out var range))
            throw new SheetsRequestException(SheetsErrors.UnableToParseRange(text));
        var sheet = range.SheetTitle is null ? spreadsheet.Sheets[0] : spreadsheet.Find(range.SheetTitle);
        return sheet is null ? throw new SheetsRequestException(SheetsErrors.UnableToParseRange(text)) : (sheet, range);
    }

    private static bool SameRange(Spreadsheet spreadsheet, string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal))
            return true;
        var (sheetA, rangeA) = Resolve(spreadsheet, a);
        var (sheetB, rangeB) = Resolve(spreadsheet, b);
        return sheetA == sheetB && rangeA with { SheetTitle = null } == rangeB with { SheetTitle = null };
    }

    internal static SpreadsheetResource Describe(Spreadsheet spreadsheet) => new(
        spreadsheet.Id,
        new SpreadsheetProperties(spreadsheet.Title, "en_US", "ON_CHANGE", "Etc/GMT"),
        [.. spreadsheet.Sheets.Select((s, i) => new SheetResource(PropertiesOf(s, i)))],
        $"https://docs.google.com/spreadsheets/d/{spreadsheet.Id}/edit");

    private static SheetProperties PropertiesOf(Sheet sheet, int index) => new(sheet.SheetId, sheet.Title, index, "GRID",
        new GridProperties(sheet.RowCount, sheet.ColumnCount, NullIfZero(sheet.FrozenRowCount), NullIfZero(sheet.FrozenColumnCount)));

    private static bool ValueInputOption(string value) => value switch
    {
        "RAW" => false,
        "USER_ENTERED" => true,
        "" => throw new SheetsRequestException(SheetsErrors.ValueInputOptionRequired()),
        _ => throw new SheetsRequestException(SheetsErrors.InvalidArgument(
            $"Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), \"{value}\"")),
    };

    private static bool Dimension(string value) => value switch
    {
        "" or "ROWS" or "DIMENSION_UNSPECIFIED" => false,
        "COLUMNS" => true,
        _ => throw new SheetsRequestException(SheetsErrors.InvalidArgument(
            $"Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), \"{value}\"")),
    };

    private static int RowCountOf(JsonElement body) =>
        Property(body, "values") is { ValueKind: JsonValueKind.Array } values
            ? Dimension(Property(body, "majorDimension") is { ValueKind: JsonValueKind.String } m ? m.GetString()! : "")
                ? values.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.Array ? c.GetArrayLength() : 0).DefaultIfEmpty(0).Max()
                : values.GetArrayLength()
            : 0;

    private static List<List<T>> Transpose<T>(List<List<T>> lines)
    {
        var width = lines.Count == 0 ? 0 : lines.Max(l => l.Count);
        var result = new List<List<T>>(width);
        for (var j = 0; j < width; j++)
            result.Add([.. lines.Where(l => j < l.Count).Select(l => l[j])]);
        return result;
    }

    private static Sheet NewSheet(int id, string title, int rows, int columns) => new() { SheetId = id, Title = title, RowCount = rows, ColumnCount = columns };

    private int NewSheetId(IEnumerable<Sheet> taken)
    {
        lock (_randomGate)
        {
            int id;
            do
            {
                id = _random.Next(1, int.MaxValue);
            }
            while (taken.Any(s => s.SheetId == id));
            return id;
        }
    }

    private static string NextSheetTitle(List<Sheet> sheets)
    {
        for (var n = sheets.Count + 1; ; n++)
        {
            var title = "Sheet" + n.ToString(CultureInfo.InvariantCulture);
            if (!sheets.Exists(s => string.Equals(s.Title, title, StringComparison.OrdinalIgnoreCase)))
                return title;
        }
    }

    private static JsonElement Object(JsonElement? body) =>
        body is { ValueKind: JsonValueKind.Object } value
            ? value
            : throw new SheetsRequestException(SheetsErrors.InvalidArgument("Invalid JSON payload received. Expected an object."));

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static int? Int(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Number } number && number.TryGetInt32(out var value) ? value : null;

    private static int? NullIfZero(int value) => value == 0 ? null : value;

    private static Task WriteAsync(HttpContext context, SheetsAnswer answer, CancellationToken cancellationToken)
    {
        if (answer.Challenge is { } challenge)
            context.Response.Headers.WWWAuthenticate = challenge;
        return EmulatorJson.WriteAsync(context, answer.StatusCode, answer.Body, cancellationToken);
    }
}
