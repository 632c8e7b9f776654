using Npgsql;

namespace Pacer.Postgres.Tests;

/// <summary>Connection strings in both forms, password files, and passwords that never show in a message.</summary>
public sealed class ConnectionStringTests
{
    [Theory]
    [InlineData("postgres://pacer:s3cret@db.example.org:6543/app?sslmode=require", "postgres://pacer:***@db.example.org:6543/app?sslmode=require")]
    [InlineData("Host=db;Username=pacer;Password=s3cret;Database=app", "host=db;username=pacer;password=***;database=app")]
    [InlineData("Host=db;Username=pacer;Database=app", "host=db;username=pacer;database=app")]
    [InlineData("Host=db;Password=s3cret;Database=\"unbalanced", "Host=db;Password=***;Database=\"unbalanced")]
    public void MaskPassword_EitherForm_HidesOnlyThePassword(string given, string expected)
    {
        var masked = PostgresConnectionString.MaskPassword(given);

        Assert.Equal(expected, masked, ignoreCase: true);
        Assert.DoesNotContain("s3cret", masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://localhost/app", true)]
    [InlineData("postgresql://u@h:5432/d", true)]
    [InlineData("Host=localhost;Database=app", true)]
    [InlineData("server=localhost", true)]
    [InlineData("./pacer.db", false)]
    [InlineData("/var/lib/pacer/pacer.db", false)]
    [InlineData("data=1.db", false)]
    public void Looks_TellsConnectionStringsFromPaths(string value, bool expected)
    {
        Assert.Equal(expected, PostgresConnectionString.Looks(value));
    }

    [Fact]
    public void Parse_Uri_BecomesNpgsqlPairs()
    {
        var builder = PostgresConnectionString.Parse("postgres://pa%40cer:p%3Ass@db.example.org:6543/my%20app?sslmode=require&application_name=worker");

        Assert.Equal("db.example.org", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("pa@cer", builder.Username);
        Assert.Equal("p:ss", builder.Password);
        Assert.Equal("my app", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal("worker", builder.ApplicationName);
    }

    [Fact]
    public void Parse_PasswordFile_ReadsThePasswordWithoutTheLineBreak()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");

            var builder = PostgresConnectionString.Parse($"Host=db;Username=pacer;Password File={file}");

            Assert.Equal("from-file", builder.Password);
            Assert.Equal("db", builder.Host);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Parse_UnknownKey_NamesItWithThePasswordMasked()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Parse("Host=db;Password=s3cret;Colour=blue"));

        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
        Assert.Contains("***", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_BadSchema_IsRejectedAtStart()
    {
        var options = new PostgresStoreOptions { ConnectionString = "Host=db", Schema = "Robert'); DROP TABLE students;--" };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Schema", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_TheErrorNamesTheServer_NeverThePassword()
    {
        var server = await PostgresServer.GetAsync();
        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "not-the-password-x9" };
        await using var store = PostgresJobStoreFactory.Create(new PostgresStoreOptions { ConnectionString = builder.ConnectionString, Schema = PostgresServer.NewSchema() });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.MigrateAsync(CancellationToken.None));

        Assert.Contains("refused the login", error.Message, StringComparison.Ordinal);
        Assert.Contains(builder.Host!, error.Message, StringComparison.Ordinal);
        for (Exception? e = error; e is not null; e = e.InnerException)
            Assert.DoesNotContain("not-the-password-x9", e.Message, StringComparison.Ordinal);
    }
}
