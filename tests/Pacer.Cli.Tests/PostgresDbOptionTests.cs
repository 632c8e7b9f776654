namespace Pacer.Cli.Tests;

/// <summary>
/// <c>--db</c> given a PostgreSQL connection string: errors name the server and the fix, and the password never
/// appears in anything printed, whichever form the string takes. (The commands against a live server are covered by
/// Pacer.Postgres.Tests; these need none: nothing listens on port 1.)
/// </summary>
public sealed class PostgresDbOptionTests : IDisposable
{
    private const string Password = "hunter2-secret";
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("postgres://pacer:" + Password + "@127.0.0.1:1/app")]
    [InlineData("Host=127.0.0.1;Port=1;Username=pacer;Password=" + Password + ";Database=app")]
    public async Task UnreachableServer_SaysSo_WithoutThePassword(string db)
    {
        foreach (var args in new[] { new[] { "status", "--db", db }, ["migrate", "--db", db], ["jobs", "list", "--db", db, "--verbose"] })
        {
            var result = await _cli.RunAsync(args);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("Cannot reach PostgreSQL at pacer@127.0.0.1:1/app", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, result.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MalformedConnectionString_IsAUsageError_WithThePasswordMasked()
    {
        var result = await _cli.RunAsync("status", "--db", $"Host=127.0.0.1;Password={Password};Colour=blue");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--db: The PostgreSQL connection string", result.Error, StringComparison.Ordinal);
        Assert.Contains("***", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordFileThatIsMissing_IsNamed()
    {
        var result = await _cli.RunAsync("status", "--db", $"Host=127.0.0.1;Port=1;Password File={Path.Combine(_cli.Folder, "nope")}");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Cannot read the password file", result.Error, StringComparison.Ordinal);
    }
}
