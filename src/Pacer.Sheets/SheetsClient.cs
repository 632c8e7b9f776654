using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacer.GoogleApis;
using Pacer.Secrets;
using Polly;
using Polly.Timeout;

namespace Pacer.Sheets;

/// <summary>
/// <see cref="ISheetsClient"/> on the named <see cref="HttpClient"/> <see cref="SheetsServiceCollectionExtensions.HttpClientName"/>,
/// whose Pacer handler charges and paces each call. Reads run in <see cref="GoogleCallPolicy.Reads"/>, writes in
/// <see cref="GoogleCallPolicy.Writes"/>; a write whose outcome is unknown becomes <see cref="SheetsOutcomeUnknownException"/>.
/// </summary>
internal sealed partial class SheetsClient : ISheetsClient, IDisposable
{
    internal const string SpreadsheetsGet = "spreadsheets.get";
    internal const string ValuesGet = "spreadsheets.values.get";
    internal const string ValuesAppend = "spreadsheets.values.append";
    internal const string BatchUpdate = "spreadsheets.batchUpdate";

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    private readonly IHttpClientFactory _http;
    private readonly SheetsSettings _settings;
    private readonly SecretWatch _secret;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private volatile SheetsCredential _credential;
    private Secret? _unusable;
    private readonly GoogleCallPolicy _policy;
    private readonly TimeProvider _time;

    public SheetsClient(
        IHttpClientFactory http, SheetsSettings settings, IOptions<SheetsCredential> credential, TimeProvider time, ILoggerFactory loggers,
        IConfiguration? configuration = null)
    {
        _http = http;
        _settings = settings;
        _credential = credential.Value; // validated: Value throws OptionsValidationException naming where to set it
        _time = time;
        _logger = loggers.CreateLogger("Pacer.Sheets");
        _policy = new GoogleCallPolicy("Sheets", settings.Calls, time, _logger);
        // Read again when its place changes (a token refreshed by another tool, a key rotated in a Secret volume).
        _secret = new SecretWatch(settings.Secret, _credential.Secret!, configuration, _logger);
    }

    public void Dispose() => _secret.Dispose();

    /// <summary>The credential of the secret in force; one that cannot be used (a malformed key) leaves the one before, said once.</summary>
    private SheetsCredential Credential()
    {
        var secret = _secret.Current;
        var credential = _credential;
        if (ReferenceEquals(secret, credential.Secret))
            return credential;
        lock (_lock)
        {
            if (ReferenceEquals(secret, _credential.Secret) || ReferenceEquals(secret, _unusable))
                return _credential;
            var fresh = new SheetsCredential();
            fresh.Load(_settings, secret, _time);
            if (fresh.Secret is null)
            {
                _unusable = secret;
                LogCredentialUnusable(_logger, fresh.Problem, _credential.Secret!.Source);
                return _credential;
            }
            _credential = fresh;
            return fresh;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem} Calls keep using the one read before from {Source}")]
    private static partial void LogCredentialUnusable(ILogger logger, string problem, string source);

    public async Task<SheetsSpreadsheet> GetSpreadsheetAsync(string spreadsheetId, CancellationToken cancellationToken = default)
    {
        var id = Escaped(spreadsheetId);
        var body = await ReadAsync(SpreadsheetsGet, $"v4/spreadsheets/{id}?fields=spreadsheetId,properties.title,sheets.properties",
            SheetsJson.Default.SpreadsheetResponse, cancellationToken);
        var tabs = new List<SheetsTab>();
        foreach (var sheet in body.Sheets ?? [])
        {
            if (Tab(sheet.Properties) is { } tab)
                tabs.Add(tab);
        }
        return new SheetsSpreadsheet(body.SpreadsheetId ?? spreadsheetId, body.Properties?.Title ?? "", tabs);
    }

    public async Task<SheetsValues> GetValuesAsync(string spreadsheetId, string range, SheetsDimension majorDimension = SheetsDimension.Rows, CancellationToken cancellationToken = default)
    {
        var id = Escaped(spreadsheetId);
        ArgumentException.ThrowIfNullOrWhiteSpace(range);
        var dimension = majorDimension == SheetsDimension.Columns ? "COLUMNS" : "ROWS";
        var body = await ReadAsync(ValuesGet, $"v4/spreadsheets/{id}/values/{Uri.EscapeDataString(range)}?majorDimension={dimension}&valueRenderOption=FORMATTED_VALUE",
            SheetsJson.Default.ValueRangeResponse, cancellationToken);
        var values = new List<IReadOnlyList<string>>(body.Values?.Count ?? 0);
        foreach (var line in body.Values ?? [])
            values.Add([.. line.Select(Text)]);
        return new SheetsValues(body.Range ?? range, values);
    }

    public async Task<SheetsAppendResult> AppendValuesAsync(string spreadsheetId, string range, IReadOnlyList<IReadOnlyList<object?>> rows, CancellationToken cancellationToken = default)
    {
        var id = Escaped(spreadsheetId);
        ArgumentException.ThrowIfNullOrWhiteSpace(range);
        ArgumentNullException.ThrowIfNull(rows);
        // Cells are checked before anything is sent.
        var body = new ValueRangeRequest("ROWS", [.. rows.Select(row => (IReadOnlyList<CellValue>)[.. row.Select(CellValue.From)])]);
        var answer = await WriteAsync(ValuesAppend, $"v4/spreadsheets/{id}/values/{Uri.EscapeDataString(range)}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
            () => JsonContent.Create(body, SheetsJson.Default.ValueRangeRequest), SheetsJson.Default.AppendValuesResponse, cancellationToken);
        return new SheetsAppendResult(answer.TableRange, answer.Updates?.UpdatedRange, answer.Updates?.UpdatedRows ?? 0);
    }

    public async Task<IReadOnlyList<SheetsTab>> BatchUpdateAsync(string spreadsheetId, IReadOnlyList<SheetsRequest> requests, CancellationToken cancellationToken = default)
    {
        var id = Escaped(spreadsheetId);
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
            return [];
        var body = new BatchUpdateRequest([.. requests.Select(r => r.Body)]);
        var answer = await WriteAsync(BatchUpdate, $"v4/spreadsheets/{id}:batchUpdate",
            () => JsonContent.Create(body, SheetsJson.Default.BatchUpdateRequest), SheetsJson.Default.BatchUpdateResponse, cancellationToken);
        var added = new List<SheetsTab>();
        foreach (var reply in answer.Replies ?? [])
        {
            if (Tab(reply.AddSheet?.Properties) is { } tab)
                added.Add(tab);
        }
        return added;
    }

    private async Task<T> ReadAsync<T>(string operation, string relative, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(_policy.Reads, operation, HttpMethod.Get, relative, null, type, cancellationToken);
        }
        catch (TimeoutRejectedException timeout)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"Google Sheets {operation} did not answer within {_settings.Calls.AttemptTimeout.TotalSeconds:0.###} s, {_settings.Calls.MaxAttempts} times; try again later."), timeout);
        }
    }

    /// <summary>A write: repeated only if it never left; if it may have been applied, the caller is told so and reads back.</summary>
    private async Task<T> WriteAsync<T>(string operation, string relative, Func<HttpContent> content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(_policy.Writes, operation, HttpMethod.Post, relative, content, type, cancellationToken);
        }
        catch (Exception uncertain) when (!cancellationToken.IsCancellationRequested
            && (uncertain is TimeoutRejectedException or TimeoutException || (uncertain is HttpRequestException && !GoogleCallPolicy.NeverSent(uncertain))))
        {
            throw new SheetsOutcomeUnknownException(
                $"Google Sheets {operation} may or may not have been applied ({_policy.Describe(uncertain)}); read back before writing again.", operation, uncertain);
        }
    }

    private async Task<T> RunAsync<T>(ResiliencePipeline pipeline, string operation, HttpMethod method, string relative, Func<HttpContent>? content, JsonTypeInfo<T> type,
        CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        try
        {
            return await pipeline.ExecuteAsync(
                static (context, state) => state.Client.SendAsync(state.Operation, state.Method, state.Relative, state.Content, state.Type, context.CancellationToken),
                context,
                (Client: this, Operation: operation, Method: method, Relative: relative, Content: content, Type: type));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<T> SendAsync<T>(string operation, HttpMethod method, string relative, Func<HttpContent>? content, JsonTypeInfo<T> type,
        CancellationToken cancellationToken)
    {
        var credential = Credential();
        var response = await SendOnceAsync(operation, method, relative, content, credential, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && credential.CanRenew)
        {
            // Refused before it expired by this clock (revoked, or the clocks disagree); a 401 applied nothing, so a write
            // may be sent again. One new token, one more call.
            response.Dispose();
            await credential.RenewAsync(operation, cancellationToken);
            response = await SendOnceAsync(operation, method, relative, content, credential, cancellationToken);
        }
        using var answered = response;
        if (!response.IsSuccessStatusCode)
            throw await FailureAsync(operation, response, credential, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        try
        {
            var body = await JsonSerializer.DeserializeAsync(stream, type, cancellationToken);
            return body ?? throw new InvalidDataException($"Google Sheets {operation} answered with an empty JSON body.");
        }
        catch (JsonException invalid)
        {
            throw new InvalidDataException($"Google Sheets {operation} answered with a body that is not its JSON response.", invalid);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(string operation, HttpMethod method, string relative, Func<HttpContent>? content,
        SheetsCredential credential, CancellationToken cancellationToken)
    {
        var token = await credential.AccessTokenAsync(operation, cancellationToken);
        using var request = new HttpRequestMessage(method, new Uri(relative, UriKind.Relative)) { Content = content?.Invoke() };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(Json);

        var started = _time.GetTimestamp();
        var response = await _http.CreateClient(SheetsServiceCollectionExtensions.HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        _policy.Answered(operation, request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : "/" + relative.Split('?')[0],
            response.StatusCode, _time.GetElapsedTime(started), fromCache: false);
        return response;
    }

    private async Task<Exception> FailureAsync(string operation, HttpResponseMessage response, SheetsCredential credential, CancellationToken cancellationToken)
    {
        var secret = credential.Secret!;
        var status = response.StatusCode;
        var code = (int)status;
        var error = await GoogleError.ReadAsync(response, cancellationToken);
        var what = error.What.Length == 0 ? code.ToString(CultureInfo.InvariantCulture) : $"{code} {error.What}";
        var message = credential.AuthorizedUser?.Scrub(error.Message) ?? secret.Scrub(error.Message);
        if (code >= 500)
            return new HttpRequestException($"Google Sheets {operation} failed ({what}: {message}); try again later.", null, status);
        if (status == HttpStatusCode.Unauthorized || error.Status == "UNAUTHENTICATED")
        {
            var kind = _settings.CredentialKind switch
            {
                SheetsCredentialKind.AccessToken => "access token",
                SheetsCredentialKind.AuthorizedUser => "access token (just refreshed) of the authorized user",
                _ => "service account's token",
            };
            return new SheetsRequestException(
                $"Google Sheets refused the {kind} (from {secret.Source}) ({what}: {message}). Check that it is current and allowed to use the Sheets API.",
                operation, status, error.Status, credentialRefused: true);
        }
        if (error.DetailReason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
        {
            var fix = _settings.CredentialKind switch
            {
                SheetsCredentialKind.AuthorizedUser =>
                    "Authorize again with it (pacer authorize --client-secret FILE --scope spreadsheets, adding the other scopes you use, such as youtube.readonly) and set the new credential there.",
                SheetsCredentialKind.AccessToken => "Get a token granted it and set it there.",
                _ => "Check the scopes the credential is allowed.",
            };
            return new SheetsRequestException(
                $"Google Sheets refused the credential read from {secret.Source}: its user did not grant it the spreadsheets scope, which {operation} needs ({what}: {message}). {fix}",
                operation, status, error.Status, credentialRefused: true);
        }
        // A spreadsheet nobody shared with the caller: the most common first failure with a service account.
        var hint = status == HttpStatusCode.Forbidden
            ? credential.ServiceAccountEmail is { } email ? $" Share the spreadsheet with the service account's e-mail address, {email}, as an editor."
                : " Check that the spreadsheet is shared with the user the credential is for, as an editor."
            : IsFull(error) ? " The spreadsheet is full (every tab's grid counts, empty cells too): delete the tabs, rows or " +
                "columns it does not need, or write to a new spreadsheet."
            : "";
        return new SheetsRequestException($"Google Sheets {operation} refused the request ({what}: {message}).{hint}", operation, status, error.Status, credentialRefused: false);
    }

    /// <summary>The 400 of a write past the 10,000,000 cells a spreadsheet may have (Google's text; the limit in it may change).</summary>
    private static bool IsFull(GoogleError error) =>
        error.Status == "INVALID_ARGUMENT" && error.Message.Contains("number of cells in the workbook above the limit", StringComparison.Ordinal);

    private static SheetsTab? Tab(SheetPropertiesResponse? properties) =>
        properties is { SheetId: { } id, Title: { } title }
            ? new SheetsTab(id, title, properties.Index ?? 0, properties.GridProperties?.RowCount ?? 0, properties.GridProperties?.ColumnCount ?? 0,
                properties.GridProperties?.FrozenRowCount ?? 0)
            : null;

    private static string Text(JsonElement cell) => cell.ValueKind switch
    {
        JsonValueKind.String => cell.GetString()!,
        JsonValueKind.True => "TRUE",
        JsonValueKind.False => "FALSE",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => cell.GetRawText(),
    };

    private static string Escaped(string spreadsheetId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spreadsheetId);
        return Uri.EscapeDataString(spreadsheetId);
    }
}
