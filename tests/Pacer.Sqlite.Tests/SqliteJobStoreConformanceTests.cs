using System.Data.Common;
using Pacer.Storage;
using Pacer.Storage.Conformance;

namespace Pacer.Sqlite.Tests;

/// <summary>The store contract, on a fresh temporary SQLite file per test.</summary>
public sealed class SqliteJobStoreConformanceTests : JobStoreConformanceTests
{
    private readonly TempDatabase _database = new();

    protected override Task<IJobStore> CreateStoreAsync() =>
        Task.FromResult(SqliteJobStoreFactory.Create(_database.Options()));

    protected override Task<(DbConnection Connection, DbTransaction Transaction)> BeginCallerTransactionAsync()
    {
        var connection = _database.OpenConnection();
        // BEGIN IMMEDIATE, as the store's docs ask of a caller's write transaction.
        DbTransaction transaction = connection.BeginTransaction(deferred: false);
        return Task.FromResult<(DbConnection, DbTransaction)>((connection, transaction));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _database.Dispose();
    }
}
