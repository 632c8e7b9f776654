using Microsoft.Extensions.DependencyInjection;
using Pacer.Storage;

namespace Pacer.Sqlite.Tests;

public sealed class SqliteStoreOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new SqliteStoreOptions { Path = "pacer.db" };

        Assert.Equal(SqliteSynchronous.Normal, options.Synchronous);
        Assert.Equal(TimeSpan.FromSeconds(10), options.BusyTimeout);
        Assert.False(options.AllowNetworkFileSystem);
        options.Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_EmptyPath_NamesPathAndFix(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteStoreOptions { Path = path }.Validate());

        Assert.Equal("Path", error.ParamName);
        Assert.Contains("SqliteStoreOptions.Path", error.Message, StringComparison.Ordinal);
        Assert.Contains("pacer.db", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData("file:pacer.db?mode=memory")]
    public void Validate_NotAFilePath_IsRefused(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => new SqliteStoreOptions { Path = path }.Validate());

        Assert.Equal("Path", error.ParamName);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    [InlineData(2 * 24 * 3600 * 1000.0)]
    public void Validate_BusyTimeoutOutOfRange_NamesBusyTimeout(double milliseconds)
    {
        var options = new SqliteStoreOptions { Path = "pacer.db", BusyTimeout = TimeSpan.FromMilliseconds(milliseconds) };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("BusyTimeout", error.ParamName);
        Assert.Contains("SqliteStoreOptions.BusyTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownSynchronous_NamesSynchronous()
    {
        var options = new SqliteStoreOptions { Path = "pacer.db", Synchronous = (SqliteSynchronous)7 };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Synchronous", error.ParamName);
        Assert.Contains("SqliteSynchronous.Full", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseSqlite_InvalidOptions_ThrowsWhenRegistering()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentException>(() => services.AddPacer(p => p.UseSqlite("pacer.db", o => o.BusyTimeout = TimeSpan.Zero)));
    }

    [Fact]
    public async Task UseSqlite_RegistersTheStoreOnThatFile()
    {
        using var database = new TempDatabase();
        var services = new ServiceCollection();
        services.AddPacer(p => p.UseSqlite(database.Path, o => o.Synchronous = SqliteSynchronous.Full));

        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<IJobStore>();

            var sqlite = Assert.IsType<SqliteJobStore>(store);
            Assert.Equal(database.Path, sqlite.DatabasePath);
            Assert.Equal("2", await sqlite.ReadWriterPragmaAsync("synchronous", CancellationToken.None));
            Assert.Equal("sqlite", store.Capabilities.Name);
            Assert.True(store.Capabilities.SupportsMultipleProcesses);
        }
        // The container disposed the store with itself: the WAL was checkpointed and removed.
        Assert.False(File.Exists(database.Path + "-wal"));
    }
}
