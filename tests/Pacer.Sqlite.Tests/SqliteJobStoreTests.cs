using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using Pacer.Storage;

namespace Pacer.Sqlite.Tests;

/// <summary>What is particular to SQLite: the file, its pragmas, migrations and several processes on one file.</summary>
public sealed class SqliteJobStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static CancellationToken Ct => CancellationToken.None;

    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private SqliteJobStore Open(Action<SqliteStoreOptions>? configure = null) =>
        (SqliteJobStore)SqliteJobStoreFactory.Create(_database.Options(configure));

    private async Task<SqliteJobStore> OpenMigratedAsync()
    {
        var store = Open();
        await store.MigrateAsync(Ct);
        return store;
    }

    private static JobInsert Job(string queue = "default", string? uniqueKey = null) =>
        new() { Kind = "test", Args = "{}", Queue = queue, ScheduledAt = T0, UniqueKey = uniqueKey };

    private string Pragma(string name)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    // ----- opening -----

    [Fact]
    public async Task Open_NewFile_IsInWalMode()
    {
        await using var store = await OpenMigratedAsync();

        Assert.True(File.Exists(_database.Path));
        Assert.Equal("wal", Pragma("journal_mode"));
    }

    [Theory]
    [InlineData(SqliteSynchronous.Normal, "1")]
    [InlineData(SqliteSynchronous.Full, "2")]
    public async Task Open_Synchronous_IsAppliedToTheWriter(SqliteSynchronous synchronous, string expected)
    {
        await using var store = Open(o => o.Synchronous = synchronous);

        Assert.Equal(expected, await store.ReadWriterPragmaAsync("synchronous", Ct));
    }

    [Fact]
    public async Task Open_BusyTimeout_IsAppliedToTheWriter()
    {
        await using var store = Open(o => o.BusyTimeout = TimeSpan.FromMilliseconds(2500));

        Assert.Equal("2500", await store.ReadWriterPragmaAsync("busy_timeout", Ct));
    }

    [Fact]
    public void Open_NotASqliteFile_ThrowsNamingThePath()
    {
        File.WriteAllText(_database.Path, string.Concat(Enumerable.Repeat("This is a text file, not a database. ", 200)));

        var error = Assert.Throws<InvalidOperationException>(() => Open());

        Assert.Contains($"'{_database.Path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public void Open_MissingDirectory_ThrowsNamingTheDirectory()
    {
        var path = Path.Combine(_database.Directory, "missing", "pacer.db");

        var error = Assert.Throws<DirectoryNotFoundException>(() => SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = path }));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_database.Directory, "missing"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PathIsADirectory_ThrowsWithAnExample()
    {
        var error = Assert.Throws<ArgumentException>(() => SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = _database.Directory }));

        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_database.Directory, "pacer.db"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_RelativePath_IsResolvedToAFullPath()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _database.Path);

        await using var store = (SqliteJobStore)SqliteJobStoreFactory.Create(new SqliteStoreOptions { Path = relative });

        Assert.Equal(_database.Path, store.DatabasePath);
    }

    // ----- migrations -----

    [Fact]
    public async Task MigrateAsync_NewFile_AppliesEveryMigrationInOrder()
    {
        await using var store = Open();

        var result = await store.MigrateAsync(Ct);

        Assert.Equal(0, result.FromVersion);
        Assert.Equal(SqliteMigrations.LatestVersion, result.ToVersion);
        Assert.Equal(SqliteMigrations.All.Select(m => $"{m.Version:D4}_{m.Name}"), result.Applied);
        Assert.Equal("0001_initial", result.Applied[0]);
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pacer_migrations";
        Assert.Equal((long)SqliteMigrations.LatestVersion, command.ExecuteScalar());
    }

    [Fact]
    public async Task MigrateAsync_FromVersion1_KeepsJobsAndNeverReusesTheirIds()
    {
        // A database made by the first release: version 1 only, some jobs, the newest one already deleted by the cleaner.
        using (var connection = _database.OpenConnection())
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                "CREATE TABLE pacer_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;" +
                SqliteMigrations.All[0].Sql +
                "INSERT INTO pacer_migrations VALUES (1, 'initial', 0);" +
                "INSERT INTO pacer_jobs (kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, tags, claims, errors, unique_key) " +
                "VALUES ('k', 'default', 0, '{}', 'available', 0, 25, 0, 0, '[]', '[{\"resource\":\"api\",\"cost\":2}]', '[]', 'key-1')," +
                "       ('k', 'default', 0, '{}', 'completed', 1, 25, 0, 0, '[]', '[]', '[]', NULL)," +
                "       ('k', 'default', 0, '{}', 'completed', 1, 25, 0, 0, '[]', '[]', '[]', NULL);" +
                "DELETE FROM pacer_jobs WHERE id = 3;";
            command.ExecuteNonQuery();
        }

        await using var store = Open();
        var result = await store.MigrateAsync(Ct);

        Assert.Equal(1, result.FromVersion);
        Assert.Equal(SqliteMigrations.LatestVersion, result.ToVersion);
        var kept = await store.GetAsync(1, Ct);
        Assert.Equal(JobState.Available, kept!.State);
        Assert.Equal([new ResourceClaim("api", 2)], kept.Claims);
        Assert.Equal(JobState.Completed, (await store.GetAsync(2, Ct))!.State);
        // Id 3 was deleted before the migration: it must not come back as a new job's id.
        Assert.Equal(4, (await store.InsertManyAsync(new InsertManyRequest([Job()], T0), Ct))[0].Id);
        Assert.Equal(new InsertResult(1, Existing: true), (await store.InsertManyAsync(new InsertManyRequest([Job(uniqueKey: "key-1")], T0), Ct))[0]);
    }

    [Fact]
    public async Task MigrateAsync_TwoStoresAtOnce_ApplyEachMigrationOnce()
    {
        await using var a = Open();
        await using var b = Open();

        var results = await Task.WhenAll(Task.Run(() => a.MigrateAsync(Ct)), Task.Run(() => b.MigrateAsync(Ct)));

        Assert.Single(results, r => r.Applied.Count > 0);
        Assert.All(results, r => Assert.Equal(SqliteMigrations.LatestVersion, r.ToVersion));
    }

    [Fact]
    public async Task MigrateAsync_DatabaseNewerThanThisBuild_IsRefusedWithAClearMessage()
    {
        await using (var store = await OpenMigratedAsync())
        {
            using var connection = _database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO pacer_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)";
            command.ExecuteNonQuery();
        }
        await using var old = Open();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => old.MigrateAsync(Ct));

        Assert.Contains($"'{_database.Path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("9999", error.Message, StringComparison.Ordinal);
        Assert.Contains($"version {SqliteMigrations.LatestVersion}", error.Message, StringComparison.Ordinal);
        Assert.Contains("upgrade", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_BeforeMigrate_SayTheSchemaIsMissing()
    {
        await using var store = Open();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetAsync(1, Ct));

        Assert.Contains("MigrateAsync", error.Message, StringComparison.Ordinal);
        Assert.Contains(_database.Path, error.Message, StringComparison.Ordinal);
    }

    // ----- several processes -----

    [Fact]
    public async Task TwoStoresOnOneFile_WritingConcurrently_NeverSeeDatabaseLocked()
    {
        // Two stores stand for two processes: each has its own writer connection, so they meet at SQLite's file lock.
        await using var a = await OpenMigratedAsync();
        await using var b = Open();
        const int tasksPerStore = 4;
        const int rounds = 10;
        const int batch = 25;
        const int total = 2 * tasksPerStore * rounds * batch;

        async Task WorkAsync(IJobStore store, string owner)
        {
            for (var round = 0; round < rounds; round++)
            {
                await store.InsertManyAsync(new InsertManyRequest([.. Enumerable.Range(0, batch).Select(_ => Job())], T0), Ct);
                var fetched = await store.FetchAsync(new FetchRequest("default", batch, T0, TimeSpan.FromMinutes(5), owner), Ct);
                var accepted = await store.CompleteManyAsync(
                    [.. fetched.Select(f => new JobCompletion(f.Job.Id, f.LeaseToken, CompletionKind.Completed, T0))], Ct);
                Assert.All(accepted, Assert.True);
            }
        }

        await Task.WhenAll(
            Enumerable.Range(0, tasksPerStore).SelectMany(i => new[]
            {
                Task.Run(() => WorkAsync(a, $"a-{i}")),
                Task.Run(() => WorkAsync(b, $"b-{i}")),
            }));
        // Whatever one round fetched from another's insert is done; finish what is left over.
        while (await a.FetchAsync(new FetchRequest("default", 500, T0, TimeSpan.FromMinutes(5), "a"), Ct) is { Count: > 0 } rest)
            await a.CompleteManyAsync([.. rest.Select(f => new JobCompletion(f.Job.Id, f.LeaseToken, CompletionKind.Completed, T0))], Ct);

        var stats = await b.GetStatsAsync(T0, Ct);
        Assert.Equal(total, stats.Queues.Single().Counts[JobState.Completed]);
        Assert.Equal(total, stats.FinalizedSince);
    }

    [Fact]
    public async Task Write_BlockedPastTheBusyTimeout_NamesTheFileAndTheSetting()
    {
        await (await OpenMigratedAsync()).DisposeAsync();
        await using var store = Open(o => o.BusyTimeout = TimeSpan.FromMilliseconds(100));
        using var other = _database.OpenConnection();
        using var held = other.BeginTransaction(deferred: false);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InsertManyAsync(new InsertManyRequest([Job()], T0), Ct));

        Assert.Contains($"'{_database.Path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("BusyTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, Assert.IsType<SqliteException>(error.InnerException).SqliteErrorCode);
        held.Rollback();
        Assert.Single(await store.InsertManyAsync(new InsertManyRequest([Job()], T0), Ct));
    }

    [Fact]
    public async Task TwoStoresOnOneFile_ReadTheOthersCommits()
    {
        await using var a = await OpenMigratedAsync();
        await using var b = Open();

        var id = (await a.InsertManyAsync(new InsertManyRequest([Job()], T0), Ct))[0].Id;

        Assert.NotNull(await b.GetAsync(id, Ct));
        Assert.Single(await b.FetchAsync(new FetchRequest("default", 10, T0, TimeSpan.FromSeconds(30), "b"), Ct));
        Assert.Empty(await a.FetchAsync(new FetchRequest("default", 10, T0, TimeSpan.FromSeconds(30), "a"), Ct));
    }

    // ----- transactional insert -----

    [Fact]
    public async Task InsertManyAsync_TransactionOfAnotherProvider_ThrowsArgumentException()
    {
        await using var store = await OpenMigratedAsync();
        using var foreign = new ForeignTransaction();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.InsertManyAsync(new InsertManyRequest([Job()], T0), foreign, Ct));

        Assert.Equal("transaction", error.ParamName);
        Assert.Contains("SqliteTransaction", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ForeignTransaction), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsertManyAsync_TransactionOnAnotherDatabase_ThrowsArgumentException()
    {
        await using var store = await OpenMigratedAsync();
        using var other = new TempDatabase();
        using var connection = other.OpenConnection();
        using var transaction = connection.BeginTransaction();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.InsertManyAsync(new InsertManyRequest([Job()], T0), transaction, Ct));

        Assert.Contains(other.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains(_database.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsertManyAsync_CompletedTransaction_ThrowsArgumentException()
    {
        await using var store = await OpenMigratedAsync();
        using var connection = _database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        transaction.Commit();

        await Assert.ThrowsAsync<ArgumentException>(() => store.InsertManyAsync(new InsertManyRequest([Job()], T0), transaction, Ct));
    }

    // ----- query plans -----

    public static TheoryData<string, string> Statements => new()
    {
        { SqliteJobStore.FetchSql, "pacer_jobs_fetch" },
        { SqliteJobStore.FetchOnlyIdsSql, "pacer_jobs_fetch" },
        // ListDueSql is FetchSql: a fetch picks what ListDue lists.
        { SqliteJobStore.ListDueClaimsSql, "pacer_jobs_fetch" },
        { SqliteJobStore.RescueSelectSql, "pacer_jobs_lease" },
        { SqliteJobStore.PromoteSql, "pacer_jobs_waiting" },
        { SqliteJobStore.PromoteWaitingSql, "pacer_jobs_wait_until" },
        { SqliteJobStore.WaitersSql, "pacer_jobs_waiting_on" },
        { SqliteJobStore.DeleteFinalizedSql, "pacer_jobs_finalized" },
        { SqliteJobStore.FinalizedSinceSql, "pacer_jobs_finalized" },
        { SqliteJobStore.ExistingByKeySql, "pacer_jobs_unique_key" },
    };

    [Fact]
    public async Task ListAsync_RunningInOneQueue_ReadsOnlyTheLeaseIndex()
    {
        // The engine asks this every few milliseconds while draining; it must not scan finished jobs.
        await using var store = await OpenMigratedAsync();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteJobStore.ListSql(new JobQuery { Queue = "q", States = [JobState.Running], Limit = 1 });
        command.Parameters.AddWithValue("@queue", "q");
        command.Parameters.AddWithValue("@limit", 1);
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                plan.Add(reader.GetString(3));
        }

        Assert.Contains(plan, step => step.Contains("pacer_jobs_lease", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task Statement_UsesItsIndexWithoutSorting(string sql, string index)
    {
        await using var store = await OpenMigratedAsync();
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "@queue", "@now", "@limit", "@owner", "@expires_at", "@token_base", "@only_ids", "@before", "@since", "@unique_key", "@resource" })
            command.Parameters.AddWithValue(name, DBNull.Value);
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                plan.Add(reader.GetString(3));
        }
        var text = string.Join(" | ", plan);

        Assert.True(plan.Exists(step => step.Contains($"USING INDEX {index}", StringComparison.Ordinal)
                || step.Contains($"USING COVERING INDEX {index}", StringComparison.Ordinal)),
            $"Expected {index} in the plan: {text}");
        Assert.DoesNotContain("TEMP B-TREE FOR ORDER BY", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN pacer_jobs", text.Replace("SCAN pacer_jobs USING", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    // ----- disposal -----

    [Fact]
    public async Task DisposeAsync_ClosesEveryConnection_AndCheckpointsTheWal()
    {
        var store = await OpenMigratedAsync();
        await store.InsertManyAsync(new InsertManyRequest([Job()], T0), Ct);
        await store.ListAsync(new JobQuery(), Ct);
        Assert.True(File.Exists(_database.Path + "-wal"));

        await store.DisposeAsync();
        await store.DisposeAsync();

        // SQLite removes the WAL when its last connection closes, so none is left open.
        Assert.False(File.Exists(_database.Path + "-wal"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetAsync(1, Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.PromoteDueAsync(T0, 10, Ct));
    }

    [Fact]
    public async Task DisposeAsync_WhileReadsAndWritesRun_LeavesNoConnectionOpen()
    {
        var store = await OpenMigratedAsync();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var n = 0; n < 200; n++)
            {
                await store.InsertManyAsync(new InsertManyRequest([Job()], T0), Ct);
                running.TrySetResult();
                await store.ListAsync(new JobQuery { Limit = 5 }, Ct);
            }
        })).ToArray();

        await running.Task;
        await store.DisposeAsync();

        foreach (var task in work)
        {
            var error = await Record.ExceptionAsync(() => task);
            Assert.True(error is null or ObjectDisposedException, $"Work cut short by disposal failed with {error}");
        }
        // Leaving WAL mode needs the only connection to the file: any connection the store left open would block it.
        // (Whether the -wal file is gone is no test here: two connections closing at once may each leave it to the other.)
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 0;";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA journal_mode = DELETE;";
        Assert.Equal("delete", command.ExecuteScalar());
    }

    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by the test.")]
    private sealed class ForeignTransaction : DbTransaction
    {
        public override IsolationLevel IsolationLevel => IsolationLevel.Serializable;
        protected override DbConnection? DbConnection => null;
        public override void Commit() { }
        public override void Rollback() { }
    }
}
