using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pacer.Sinks;

/// <summary>
/// A table in a SQLite database file. The key column is the table's primary key, so a row and the record that it was
/// written are one and the same: each batch is one transaction of <c>INSERT ... ON CONFLICT DO NOTHING</c>, and the
/// changes each insert reports say which rows were new. WAL with <c>synchronous=FULL</c>: a committed batch is on disk.
/// </summary>
internal sealed class SqliteTableSink(string path, string table) : TableSinkBase
{
    private SqliteConnection? connection;
    private string[] columnNames = [];
    private bool tableExists;
    private bool walEnabled;
    private SqliteCommand? insert;

    public override string Description => $"sqlite:{path}#{table}";

    protected override async Task<IReadOnlySet<string>> OpenCoreAsync(TableSchema schema, CancellationToken cancellationToken)
    {
        columnNames = [.. schema.Columns.Select(c => SqliteNames.ColumnName(c.Name))];
        var duplicate = columnNames.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Two columns become the SQL column '{duplicate.Key}' in {Description}; rename one of them.", nameof(schema));

        var keys = new HashSet<string>(StringComparer.Ordinal);
        // Opening creates nothing: a missing database file is made by the first write.
        if (!File.Exists(path))
            return keys;
        try
        {
            connection = await ConnectAsync(SqliteOpenMode.ReadWrite, cancellationToken);
            var found = await ReadColumnsAsync(connection, cancellationToken);
            if (found.Count == 0)
                return keys;
            var expected = ExpectedColumns(schema);
            if (!found.SequenceEqual(expected, StringComparer.OrdinalIgnoreCase))
            {
                throw new SinkException(
                    $"Table '{table}' in '{path}' has other columns than this sink writes: expected ({string.Join(", ", expected)}), found " +
                    $"({string.Join(", ", found)}). Use another table (sqlite:{path}#other) or another database.");
            }
            tableExists = true;
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT {SqliteNames.Quote(columnNames[schema.KeyColumn])} FROM {SqliteNames.Quote(table)}";
            using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                keys.Add(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture) ?? "");
            return keys;
        }
        catch (SqliteException e)
        {
            throw new SinkException($"'{path}' cannot be read as a SQLite database: {e.Message}", e);
        }
    }

    protected override async Task<SinkWriteResult> WriteCoreAsync(IReadOnlyList<TableRow> rows, CancellationToken cancellationToken)
    {
        connection ??= await ConnectAsync(SqliteOpenMode.ReadWriteCreate, cancellationToken);
        if (!walEnabled)
        {
            // Set by the first write, not on open, which must leave the database as it found it. WAL lets readers
            // (sqlite3, a BI tool) read while batches commit.
            using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL";
            await wal.ExecuteNonQueryAsync(cancellationToken);
            walEnabled = true;
        }
        if (!tableExists)
        {
            await CreateTableAsync(connection, cancellationToken);
            tableExists = true;
        }
        insert ??= CreateInsert(connection);

        cancellationToken.ThrowIfCancellationRequested();
        // Not cancelled halfway: the transaction commits whole, or rolls back when disposed after a failure.
        using var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        var written = 0;
        foreach (var row in rows)
        {
            for (var i = 0; i < columnNames.Length; i++)
                insert.Parameters[i].Value = ToSqlite(Schema.Columns[i].Kind, row.Values[i]);
            // 1 when the row was inserted, 0 when its key was already there (ON CONFLICT DO NOTHING).
            written += insert.ExecuteNonQuery();
        }
        transaction.Commit();
        insert.Transaction = null;
        return new SinkWriteResult(written, rows.Count - written);
    }

    protected override async Task CompleteCoreAsync(CancellationToken cancellationToken)
    {
        if (connection is null || !walEnabled)
            return;
        // Folds the WAL back into the database, so the run leaves one self-contained file to copy or mail.
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await checkpoint.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async ValueTask DisposeCoreAsync()
    {
        if (insert is not null)
            await insert.DisposeAsync();
        if (connection is not null)
            await connection.DisposeAsync();
    }

    private async Task<SqliteConnection> ConnectAsync(SqliteOpenMode mode, CancellationToken cancellationToken)
    {
        // No pooling: disposing the sink closes the file, so the user (or a test) can move or delete it right after.
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 30 };
        var opened = new SqliteConnection(builder.ConnectionString);
        var ready = false;
        try
        {
            await opened.OpenAsync(cancellationToken);
            using var pragma = opened.CreateCommand();
            // synchronous=FULL: a committed batch is on disk, not only in the WAL's page cache. busy_timeout: wait for
            // another process's lock instead of failing at once.
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            ready = true;
            return opened;
        }
        finally
        {
            if (!ready)
                await opened.DisposeAsync();
        }
    }

    private async Task<List<string>> ReadColumnsAsync(SqliteConnection db, CancellationToken cancellationToken)
    {
        using var info = db.CreateCommand();
        info.CommandText = "SELECT name, type, pk FROM pragma_table_info($table)";
        info.Parameters.AddWithValue("$table", table);
        var found = new List<string>();
        using var reader = await info.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            found.Add(Describe(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0));
        return found;
    }

    private List<string> ExpectedColumns(TableSchema schema) =>
        [.. schema.Columns.Select((c, i) => Describe(columnNames[i], SqliteNames.SqlType(c.Kind), i == schema.KeyColumn))];

    private static string Describe(string name, string type, bool primaryKey) => primaryKey ? $"{name} {type} PRIMARY KEY" : $"{name} {type}";

    private async Task CreateTableAsync(SqliteConnection db, CancellationToken cancellationToken)
    {
        var columns = Schema.Columns.Select((c, i) =>
            $"{SqliteNames.Quote(columnNames[i])} {SqliteNames.SqlType(c.Kind)}" + (i == Schema.KeyColumn ? " NOT NULL PRIMARY KEY" : ""));
        using var create = db.CreateCommand();
        // STRICT: SQLite checks each value's type, as the other destinations' formats do.
        create.CommandText = $"CREATE TABLE IF NOT EXISTS {SqliteNames.Quote(table)} ({string.Join(", ", columns)}) STRICT";
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    private SqliteCommand CreateInsert(SqliteConnection db)
    {
        var command = db.CreateCommand();
        var parameters = columnNames.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        command.CommandText =
            $"INSERT INTO {SqliteNames.Quote(table)} ({string.Join(", ", columnNames.Select(SqliteNames.Quote))}) " +
            $"VALUES ({string.Join(", ", parameters)}) ON CONFLICT DO NOTHING";
        foreach (var parameter in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = parameter });
        command.Prepare();
        return command;
    }

    private static object ToSqlite(ColumnKind kind, object? value) => value switch
    {
        null => DBNull.Value,
        DateTimeOffset date => TableValues.FormatDate(date),
        // A REAL column stores a REAL, so a whole number in a Number column reads back as the double it stands for.
        long number when kind == ColumnKind.Number => (double)number,
        _ => value,
    };
}
