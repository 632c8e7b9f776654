namespace Pacer.Sinks.Tests;

public sealed class TableSinksTests : IDisposable
{
    private const string Accepted = "Accepted: PATH.csv, PATH.xlsx, sqlite:PATH[#table]";
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("out.csv", "CsvTableSink")]
    [InlineData("out.CSV", "CsvTableSink")]
    [InlineData("out.xlsx", "XlsxTableSink")]
    [InlineData("sqlite:out.db", "SqliteTableSink")]
    [InlineData("SQLite:out.db#videos_2", "SqliteTableSink")]
    public async Task Create_KnownForms_MakeTheirSink(string destination, string type)
    {
        var resolved = destination.Replace("out.", temp.File("out."), StringComparison.Ordinal);

        await using var sink = TableSinks.Create(resolved);

        Assert.Equal(type, sink.GetType().Name);
        Assert.Contains(temp.Path, sink.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_SqliteWithoutTable_UsesTheOptionsTable()
    {
        var path = temp.File("out.db");

        await using var byDefault = TableSinks.Create("sqlite:" + path);
        await using var configured = TableSinks.Create("sqlite:" + path, new TableDestinationOptions { Sqlite = { Table = "clips" } });
        await using var named = TableSinks.Create("sqlite:" + path + "#shorts", new TableDestinationOptions { Sqlite = { Table = "clips" } });

        Assert.Equal($"sqlite:{path}#videos", byDefault.Description);
        Assert.Equal($"sqlite:{path}#clips", configured.Description);
        Assert.Equal($"sqlite:{path}#shorts", named.Description);
    }

    [Theory]
    [InlineData("out.txt", "unknown file type '.txt'")]
    [InlineData("out", "the file has no extension")]
    [InlineData("", "it is empty")]
    [InlineData("sqlite:", "'sqlite:' needs a database path")]
    [InlineData("sqlite:#videos", "'sqlite:' needs a database path")]
    [InlineData("sqlite:out.db#bad-name", "the table name 'bad-name' is not letters, digits and underscores")]
    [InlineData("ftp:out.csv", "unknown scheme 'ftp:'")]
    [InlineData("sheets:abc/Tab", "unknown scheme 'sheets:'")]
    [InlineData("no/such/dir/out.csv", "does not exist")]
    [InlineData("sqlite:no/such/dir/out.db", "does not exist")]
    [InlineData("C:/no/such/dir/out.csv", "does not exist")]
    public void Create_BadDestination_OneLineNamingTheInputAndTheAcceptedForms(string destination, string problem)
    {
        var error = Assert.Throws<SinkException>(() => TableSinks.Create(destination));

        Assert.StartsWith($"Destination '{destination}': ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.EndsWith(Accepted + ".", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Create_PathThatIsADirectory_IsRejected()
    {
        var directory = temp.File("looks.csv");
        Directory.CreateDirectory(directory);

        var error = Assert.Throws<SinkException>(() => TableSinks.Create(directory));

        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_RegisteredScheme_GetsTheTargetAndIsListedAsAccepted()
    {
        var options = new TableDestinationOptions();
        string? target = null;
        options.Schemes["sheets"] = t =>
        {
            target = t;
            return new Batching.FakeTableSink();
        };

        await using var sink = TableSinks.Create("Sheets:1AbC/Videos tab", options);
        var error = Assert.Throws<SinkException>(() => TableSinks.Create("out.txt", options));

        Assert.Equal("1AbC/Videos tab", target);
        Assert.IsType<Batching.FakeTableSink>(sink);
        Assert.EndsWith(Accepted + ", sheets:....", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_InvalidOptions_AreRejected()
    {
        var options = new TableDestinationOptions { Xlsx = { SheetName = "" } };

        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => TableSinks.Create(temp.File("out.xlsx"), options));
    }

    [Theory]
    [InlineData("out.csv", "{cwd}/out.csv")]
    [InlineData("data/out.xlsx", "{cwd}/data/out.xlsx")]
    [InlineData("../out.csv", "{parent}/out.csv")]
    [InlineData("/srv/out.csv", "/srv/out.csv")]
    [InlineData("sqlite:out.db", "sqlite:{cwd}/out.db")]
    [InlineData("SQLite:out.db#videos_2", "SQLite:{cwd}/out.db#videos_2")]
    [InlineData("sqlite:/srv/out.db#videos", "sqlite:/srv/out.db#videos")]
    [InlineData("sheets:1AbC/Videos", "sheets:1AbC/Videos")]
    [InlineData("sqlite:", "sqlite:")]
    public void Absolute_MakesLocalFilesAbsolute_AndLeavesOtherSchemes(string destination, string expected)
    {
        var cwd = Directory.GetCurrentDirectory();
        var parent = Path.GetDirectoryName(cwd)!;

        var absolute = TableSinks.Absolute(destination);

        Assert.Equal(expected.Replace("{cwd}", cwd, StringComparison.Ordinal).Replace("{parent}", parent, StringComparison.Ordinal), absolute);
    }

    [Fact]
    public void Absolute_InvalidPath_NamesTheDestination()
    {
        var error = Assert.Throws<SinkException>(() => TableSinks.Absolute("bad\0path.csv"));

        Assert.StartsWith("Destination 'bad", error.Message, StringComparison.Ordinal);
    }
}
