using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pacer.Sinks.Tests.Sqlite;

public sealed class SqliteTableSinkTests : TableSinkContractTests
{
    private string DatabasePath => Temp.File("videos.db");

    protected override ITableSink CreateSink() => TableSinks.Sqlite(DatabasePath);

    protected override bool DestinationExists() => File.Exists(DatabasePath);

    protected override string NameInMessages => "videos.db";

    protected override IReadOnlyList<string> HeaderOf(TableSchema schema) =>
        [.. schema.Columns.Select(c => c.Name.Replace(' ', '_'))];

    protected override async Task<ReadBack> ReadBackAsync(TableSchema schema)
    {
        await using var db = Open();
        var header = new List<string>();
        await using (var info = db.CreateCommand())
        {
            info.CommandText = "SELECT name FROM pragma_table_info('videos')";
            await using var reader = await info.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                header.Add(reader.GetString(0));
        }
        var rows = new List<IReadOnlyList<object?>>();
        await using (var select = db.CreateCommand())
        {
            select.CommandText = "SELECT * FROM videos ORDER BY rowid";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add([.. schema.Columns.Select((c, i) => reader.IsDBNull(i) ? null : c.Kind switch
                {
                    ColumnKind.Integer => reader.GetInt64(i),
                    ColumnKind.Number => reader.GetDouble(i),
                    ColumnKind.DateTime => (object)DateTimeOffset.Parse(reader.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                    _ => reader.GetString(i),
                })]);
            }
        }
        return new ReadBack(header, rows);
    }

    [Fact]
    public async Task Write_CreatesAStrictTableWithTypedColumnsAndTheKeyAsPrimaryKeyInWalMode()
    {
        await RunAsync(Rows.Of("a"));

        await using var db = Open();
        Assert.Equal("wal", await ScalarAsync(db, "PRAGMA journal_mode"));
        var sql = (string)(await ScalarAsync(db, "SELECT sql FROM sqlite_master WHERE name = 'videos'"))!;
        Assert.Contains("\"video_id\" TEXT NOT NULL PRIMARY KEY", sql, StringComparison.Ordinal);
        Assert.Contains("\"published_at\" TEXT", sql, StringComparison.Ordinal);
        Assert.Contains("\"views\" INTEGER", sql, StringComparison.Ordinal);
        Assert.EndsWith("STRICT", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_FailingHalfway_RollsBackTheWholeBatchAndTheSinkStaysUsable()
    {
        await RunAsync(Rows.Of("a"));
        await using (var db = Open())
        {
            await using var trigger = db.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER refuse_boom BEFORE INSERT ON videos WHEN NEW.video_id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END";
            await trigger.ExecuteNonQueryAsync();
        }

        await using var sink = CreateSink();
        await sink.OpenAsync(Rows.Videos, CancellationToken.None);
        var error = await Assert.ThrowsAsync<SqliteException>(() => sink.WriteAsync(Rows.Of("b", "boom", "c"), CancellationToken.None));
        var retry = await sink.WriteAsync(Rows.Of("b", "c"), CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Contains("boom refused", error.Message, StringComparison.Ordinal);
        Assert.Equal(new SinkWriteResult(2, 0), retry);
        Assert.Equal(["a", "b", "c"], (await ReadBackAsync(Rows.Videos)).Rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Open_TableMadeByHandWithOtherColumns_ThrowsNamingTableAndColumns()
    {
        await using (var db = Open(SqliteOpenMode.ReadWriteCreate))
        {
            await using var create = db.CreateCommand();
            create.CommandText = "CREATE TABLE videos (video_id TEXT PRIMARY KEY, title TEXT)";
            await create.ExecuteNonQueryAsync();
        }

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));

        Assert.Contains("Table 'videos'", error.Message, StringComparison.Ordinal);
        Assert.Contains("found (video_id TEXT PRIMARY KEY, title TEXT)", error.Message, StringComparison.Ordinal);
        Assert.Contains("first_seen_at TEXT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_DatabaseWithoutTheTable_ReturnsNoKeysAndCreatesTheTableOnFirstWrite()
    {
        await using (var db = Open(SqliteOpenMode.ReadWriteCreate))
        {
            await using var create = db.CreateCommand();
            create.CommandText = "CREATE TABLE other (x INTEGER)";
            await create.ExecuteNonQueryAsync();
        }

        Assert.Equal(new SinkWriteResult(1, 0), await RunAsync(Rows.Of("a")));
        Assert.Single((await ReadBackAsync(Rows.Videos)).Rows);
    }

    [Fact]
    public async Task OpenAndComplete_WithoutWrites_LeaveAnExistingDatabaseAsItWas()
    {
        await using (var db = Open(SqliteOpenMode.ReadWriteCreate))
        {
            await using var create = db.CreateCommand();
            create.CommandText = "CREATE TABLE other (x INTEGER)";
            await create.ExecuteNonQueryAsync();
        }

        await using (var sink = CreateSink())
        {
            await sink.OpenAsync(Rows.Videos, CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
        }

        await using var check = Open();
        Assert.Equal("delete", await ScalarAsync(check, "PRAGMA journal_mode"));
        Assert.Equal(0L, await ScalarAsync(check, "SELECT count(*) FROM sqlite_master WHERE name = 'videos'"));
    }

    [Fact]
    public async Task Open_FileThatIsNotADatabase_ThrowsSinkException()
    {
        await File.WriteAllTextAsync(DatabasePath, "not a database, just text that is long enough to have a header page ".PadRight(200, '.'));

        await using var sink = CreateSink();
        var error = await Assert.ThrowsAsync<SinkException>(() => sink.OpenAsync(Rows.Videos, CancellationToken.None));

        Assert.Contains(DatabasePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_DestinationWithTable_WritesToThatTable()
    {
        await using (var sink = TableSinks.Create($"sqlite:{DatabasePath}#sync_2026"))
        {
            await sink.OpenAsync(Rows.Videos, CancellationToken.None);
            await sink.WriteAsync(Rows.Of("a", "b"), CancellationToken.None);
            await sink.CompleteAsync(CancellationToken.None);
            Assert.Equal($"sqlite:{DatabasePath}#sync_2026", sink.Description);
        }

        await using var db = Open();
        Assert.Equal(2L, await ScalarAsync(db, "SELECT count(*) FROM sync_2026"));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM sqlite_master WHERE name = 'videos'"));
    }

    [Fact]
    public void Options_TableNameThatIsNotAnIdentifier_IsRejectedWhenTheSinkIsMade()
    {
        var error = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(
            () => TableSinks.Sqlite(DatabasePath, new SqliteTableSinkOptions { Table = "videos; DROP TABLE x" }));

        Assert.Contains("Table", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("video id", "video_id")]
    [InlineData("Duration (ISO)", "duration_iso")]
    [InlineData("  first -- seen at ", "first_seen_at")]
    [InlineData("1st", "c_1st")]
    [InlineData("日本", "column")]
    public void ColumnName_MakesPlainSqlNames(string header, string expected) =>
        Assert.Equal(expected, SqliteNames.ColumnName(header));

    private SqliteConnection Open(SqliteOpenMode mode = SqliteOpenMode.ReadWrite)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = mode, Pooling = false }.ConnectionString);
        db.Open();
        return db;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
