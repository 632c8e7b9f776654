using System.Security.Cryptography;
using Npgsql;
using static Pacer.Shared.Postgres.ThrowawayPostgres;

namespace Pacer.Postgres.Tests;

/// <summary>
/// The PostgreSQL server the tests use, once per test assembly: <c>PACER_TEST_PG</c> when set (CI starts one; the
/// password comes from <c>PGPASSWORD</c>, never from the string), else a throwaway cluster started here from the
/// installed binaries on 127.0.0.1 and a free port, stopped when the test process exits. With <c>CI=true</c> a
/// missing server is a failure, never a skip.
/// </summary>
internal sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private PostgresServer(string connectionString) => ConnectionString = connectionString;

    /// <summary>Connects as a superuser to the maintenance database; no password in it.</summary>
    public string ConnectionString { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>A connection string for a fresh schema name (the store creates the schema when it migrates).</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..20];

    public NpgsqlDataSource OpenDataSource(string? searchPath = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = true, MaxPoolSize = 20 };
        if (searchPath is not null)
            builder.SearchPath = searchPath;
        return NpgsqlDataSource.Create(builder);
    }

    public async Task DropSchemaAsync(string schema)
    {
        await using var dataSource = OpenDataSource();
        await using var command = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("PACER_TEST_PG") is { Length: > 0 } given)
            return new PostgresServer(given);
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "No PostgreSQL server for the tests: set PACER_TEST_PG to a connection string (password in PGPASSWORD), or install " +
            "PostgreSQL's server binaries (apt-get install postgresql) so the tests can start a throwaway cluster.");
        var root = Directory.CreateTempSubdirectory("pacer-pg-tests-").FullName;
        var asRoot = Environment.UserName == "root";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await File.WriteAllTextAsync(Path.Combine(root, "pwfile"), password);
        if (asRoot)
            await RunAsync("chown", "-R", "postgres:postgres", root);
        var data = Path.Combine(root, "data");
        await RunAsUserAsync(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-E", "UTF8", "--no-sync",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile", Path.Combine(root, "pwfile"));
        var port = FreePort();
        await RunAsUserAsync(asRoot, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(root, "log"), "-w", "-t", "60", "start", "-o",
            $"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsUserAsync(asRoot, Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop").GetAwaiter().GetResult();
                Directory.Delete(root, recursive: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"Could not stop the test cluster in {root}: {ex.Message}");
            }
        };
        // The password reaches Npgsql (and the worker processes, which inherit it) the way an operator would give it.
        Environment.SetEnvironmentVariable("PGPASSWORD", password);
        return new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres");
    }
}
