using System.Data.Common;
using Pacer.Storage;
using Pacer.Storage.Conformance;

namespace Pacer.Postgres.Tests;

/// <summary>The store contract, on a schema of its own per test (dropped afterwards), so the suite runs beside others.</summary>
public sealed class PostgresJobStoreConformanceTests : JobStoreConformanceTests
{
    private readonly string _schema = PostgresServer.NewSchema();
    private PostgresServer? _server;
    private Npgsql.NpgsqlDataSource? _callers;

    protected override async Task<IJobStore> CreateStoreAsync()
    {
        _server = await PostgresServer.GetAsync();
        return PostgresJobStoreFactory.Create(new PostgresStoreOptions { ConnectionString = _server.ConnectionString, Schema = _schema });
    }

    protected override async Task<(DbConnection Connection, DbTransaction Transaction)> BeginCallerTransactionAsync()
    {
        // The application's own connection, with its own search_path: the store must not depend on it.
        _callers ??= _server!.OpenDataSource();
        var connection = await _callers.OpenConnectionAsync();
        DbTransaction transaction = await connection.BeginTransactionAsync();
        return (connection, transaction);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_callers is not null)
            await _callers.DisposeAsync();
        if (_server is not null)
            await _server.DropSchemaAsync(_schema);
    }
}
