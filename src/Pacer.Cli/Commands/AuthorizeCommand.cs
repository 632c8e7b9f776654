using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Requests;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;

namespace Pacer.Cli.Commands;

/// <summary>
/// <c>pacer authorize</c>: Google's OAuth flow for installed applications (a loopback redirect and PKCE), once, to get
/// the refresh token an authorized-user credential holds; the user consents in a browser, on any machine.
/// </summary>
/// <remarks>
/// Google.Apis.Auth builds the consent address and redeems the code. Its Google flows are not used: they take only
/// Google's own addresses (the client file's <c>auth_uri</c> and <c>token_uri</c> are used here, so an emulator works), and
/// their receiver opens a browser on this machine, where a worker usually has none; this one prints the address and
/// waits for the redirect.
/// </remarks>
internal static partial class AuthorizeCommand
{
    private const string DefaultAuthUri = "https://accounts.google.com/o/oauth2/auth";
    private const string DefaultTokenUri = "https://oauth2.googleapis.com/token";
    private const string ScopePrefix = "https://www.googleapis.com/auth/";

    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var clientSecret = new Option<string>("--client-secret")
        {
            Description = "The OAuth client's JSON file, as the Google Cloud console downloads it (Credentials, OAuth client ID, Desktop app)",
            HelpName = "FILE",
            Required = true,
        };
        var scopes = new Option<string[]>("--scope")
        {
            Description = "What to ask for: youtube.readonly, youtube.upload, spreadsheets, ... or full scope URLs (repeat, or separate with commas)",
            HelpName = "SCOPE",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Where to save the credential, readable by its owner only",
            HelpName = "FILE",
            DefaultValueFactory = _ => "authorized_user.json",
        };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the browser", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };
        var command = new Command("authorize", """
            Ask a Google user to let Pacer act for them (OAuth, in a browser) and save the authorized-user credential
            (client and refresh token) that PACER_YOUTUBE_AUTHORIZED_USER and PACER_SHEETS_AUTHORIZED_USER take.
            """)
        {
            clientSecret, scopes, output, timeout,
        };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var client = ReadClient(parse.GetValue(clientSecret)!);
            var scopeList = Scopes(parse.GetValue(scopes)!);
            var target = Path.GetFullPath(parse.GetValue(output)!);
            if (Path.GetDirectoryName(target) is { } folder && !Directory.Exists(folder))
                throw CliException.Usage($"--out {target}: the folder {folder} does not exist.");
            var seconds = parse.GetValue(timeout);
            if (seconds is < 1 or > 3600)
                throw CliException.Usage($"--timeout {seconds} is out of range; use 1 to 3600 seconds.");

            using var listener = Listen(out var redirectUri);
            var flow = new AuthorizationCodeFlow(new AuthorizationCodeFlow.Initializer(client.AuthUri!, client.TokenUri!)
            {
                ClientSecrets = new ClientSecrets { ClientId = client.ClientId, ClientSecret = client.ClientSecret },
                Scopes = scopeList,
                DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
            });
            var request = flow.CreateAuthorizationCodeRequest(redirectUri);
            var state = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            request.State = state;
            // PKCE (RFC 7636), and Google's parameters for a refresh token: offline access, and a consent given now (without
            // it, a user who allowed access before gets no new refresh token).
            var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
            var address = request.Build().AbsoluteUri + "&access_type=offline&prompt=consent&code_challenge_method=S256&code_challenge="
                + Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

            await cli.Console.Out.WriteLineAsync("Open this address in a browser, sign in as the user whose data Pacer may use, and allow access:");
            await cli.Console.Out.WriteLineAsync("  " + address);
            await cli.Console.Out.WriteLineAsync($"Waiting for the browser to come back to {redirectUri} (Ctrl+C stops).");
            await cli.Console.Out.FlushAsync(cancellationToken);

            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            waiting.CancelAfter(TimeSpan.FromSeconds(seconds));
            var code = await ReceiveCodeAsync(listener, state, waiting.Token, cancellationToken, seconds);
            TokenResponse token;
            try
            {
                token = await new AuthorizationCodeTokenRequest
                {
                    Code = code,
                    RedirectUri = redirectUri,
                    CodeVerifier = verifier,
                    ClientId = client.ClientId,
                    ClientSecret = client.ClientSecret,
                    Scope = string.Join(' ', scopeList),
                }.ExecuteAsync(flow.HttpClient, client.TokenUri!, cancellationToken, Google.Apis.Util.SystemClock.Default);
            }
            catch (TokenResponseException refused)
            {
                throw CliException.Failure($"Google's token endpoint refused the code ({refused.Error?.Error}: {refused.Error?.ErrorDescription}); run 'pacer authorize' again.", refused);
            }
            if (string.IsNullOrEmpty(token.RefreshToken))
                throw CliException.Failure("Google gave an access token but no refresh token; remove Pacer's access in the account's settings (Third-party connections) and run 'pacer authorize' again.");

            await SaveAsync(target, client, token.RefreshToken, cancellationToken);
            await cli.Console.Out.WriteLineAsync($"Saved the credential to {target} (readable by you only). Use it with:");
            await cli.Console.Out.WriteLineAsync($"  export GOOGLE_APPLICATION_CREDENTIALS={target}   # YouTube and Sheets; or PACER_YOUTUBE_AUTHORIZED_USER=\"$(cat {target})\"");
            // Google's consent page lets the user untick each scope; the answer names those granted (none named: all were).
            var granted = token.Scope?.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            if (granted is { Count: > 0 } && scopeList.Where(s => !granted.Contains(s)).ToArray() is { Length: > 0 } withheld)
            {
                await cli.Console.Error.WriteLineAsync(
                    $"warning: the user did not allow {string.Join(", ", withheld.Select(Short))}: calls that need {(withheld.Length == 1 ? "it" : "them")} " +
                    "will be refused. To add it, run 'pacer authorize' again and leave every box ticked.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The OAuth client of a downloaded client secret file (<c>{"installed": {...}}</c>, or <c>"web"</c>).</summary>
    private static OAuthClient ReadClient(string file)
    {
        if (!File.Exists(file))
            throw CliException.Usage($"--client-secret {file}: no such file; download the OAuth client's JSON from the Google Cloud console (Credentials, OAuth client ID, Desktop app).");
        ClientSecretFile? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(File.ReadAllText(file), AuthorizeJson.Default.ClientSecretFile);
        }
        catch (JsonException)
        {
            parsed = null;
        }
        var client = parsed?.Installed ?? parsed?.Web;
        if (client is not { ClientId.Length: > 0, ClientSecret.Length: > 0 })
        {
            throw CliException.Usage($"--client-secret {file} is not an OAuth client's JSON: expected {{\"installed\": {{\"client_id\": ..., \"client_secret\": ...}}}} " +
                "as the Google Cloud console downloads it (Credentials, OAuth client ID, Desktop app).");
        }
        foreach (var (name, value) in new[] { ("auth_uri", client.AuthUri), ("token_uri", client.TokenUri) })
        {
            if (value is not null && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
                throw CliException.Usage($"--client-secret {file}: its \"{name}\" is not an http or https URL.");
        }
        return client with { AuthUri = client.AuthUri ?? DefaultAuthUri, TokenUri = client.TokenUri ?? DefaultTokenUri };
    }

    /// <summary>A scope as the user wrote it: <c>spreadsheets</c> for Google's address of it.</summary>
    private static string Short(string scope) => scope.StartsWith(ScopePrefix, StringComparison.Ordinal) ? scope[ScopePrefix.Length..] : scope;

    private static string[] Scopes(string[] given)
    {
        var scopes = given.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(s => s.Contains("://", StringComparison.Ordinal) ? s : ScopePrefix + s)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (scopes.Length == 0)
            throw CliException.Usage("--scope is empty; give what to ask for, such as youtube.readonly or spreadsheets.");
        foreach (var scope in scopes)
        {
            if (!Uri.TryCreate(scope, UriKind.Absolute, out var uri) || uri.Scheme != "https" || !ScopeText().IsMatch(scope))
                throw CliException.Usage($"--scope {scope} is not a scope; write a name such as youtube.readonly or a URL such as {ScopePrefix}spreadsheets.");
        }
        return scopes;
    }

    /// <summary>An HTTP listener on a free loopback port: the redirect address Google sends the browser back to.</summary>
    private static HttpListener Listen(out string redirectUri)
    {
        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            redirectUri = $"http://127.0.0.1:{port}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(redirectUri);
            try
            {
                listener.Start();
                return listener;
            }
            catch (HttpListenerException) when (attempt < 3)
            {
                // Taken between the probe and the start: another port.
                listener.Close();
            }
        }
    }

    /// <summary>Waits for the browser's redirect with this flow's state; answers it with a page the user can close.</summary>
    private static async Task<string> ReceiveCodeAsync(HttpListener listener, string state, CancellationToken waiting, CancellationToken stopped, int seconds)
    {
        using var stop = waiting.Register(listener.Stop);
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (waiting.IsCancellationRequested && ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                stopped.ThrowIfCancellationRequested();
                throw CliException.Failure($"No answer from the browser within {seconds} s; run 'pacer authorize' again (--timeout gives more time).");
            }
            var query = context.Request.QueryString;
            if (context.Request.Url?.AbsolutePath != "/" || query["state"] != state)
            {
                // A favicon, a stale tab of an earlier run: not this flow's answer.
                await AnswerAsync(context, HttpStatusCode.NotFound, "This is not the answer Pacer is waiting for.");
                continue;
            }
            if (query["error"] is { } error)
            {
                await AnswerAsync(context, HttpStatusCode.OK, "Pacer was not given access. You can close this page.");
                throw CliException.Failure($"The user did not allow access ({error}); nothing was saved.");
            }
            if (query["code"] is not { Length: > 0 } code)
            {
                await AnswerAsync(context, HttpStatusCode.BadRequest, "The answer holds no code.");
                continue;
            }
            await AnswerAsync(context, HttpStatusCode.OK, "Pacer is allowed access. You can close this page and go back to the terminal.");
            return code;
        }
    }

    private static async Task AnswerAsync(HttpListenerContext context, HttpStatusCode status, string text)
    {
        var body = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    /// <summary>Writes the credential readable by its owner only, whole or not at all (a temporary file moved over the target).</summary>
    private static async Task SaveAsync(string target, OAuthClient client, string refreshToken, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new AuthorizedUserFile("authorized_user", client.ClientId!, client.ClientSecret!, refreshToken, client.TokenUri!),
            AuthorizeJson.Default.AuthorizedUserFile);
        var temporary = target + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [System.Text.RegularExpressions.GeneratedRegex(@"^https://[A-Za-z0-9.\-]+/[A-Za-z0-9._/\-]+$")]
    private static partial System.Text.RegularExpressions.Regex ScopeText();

    internal sealed record ClientSecretFile(
        [property: JsonPropertyName("installed")] OAuthClient? Installed,
        [property: JsonPropertyName("web")] OAuthClient? Web);

    internal sealed record OAuthClient(
        [property: JsonPropertyName("client_id")] string? ClientId,
        [property: JsonPropertyName("client_secret")] string? ClientSecret,
        [property: JsonPropertyName("auth_uri")] string? AuthUri,
        [property: JsonPropertyName("token_uri")] string? TokenUri);

    internal sealed record AuthorizedUserFile(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("client_id")] string ClientId,
        [property: JsonPropertyName("client_secret")] string ClientSecret,
        [property: JsonPropertyName("refresh_token")] string RefreshToken,
        [property: JsonPropertyName("token_uri")] string TokenUri);
}

[JsonSerializable(typeof(AuthorizeCommand.ClientSecretFile))]
[JsonSerializable(typeof(AuthorizeCommand.AuthorizedUserFile))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class AuthorizeJson : JsonSerializerContext;
