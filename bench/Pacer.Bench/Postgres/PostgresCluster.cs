using System.Security.Cryptography;
using Npgsql;
using static Pacer.Shared.Postgres.ThrowawayPostgres;

namespace Pacer.Bench.Postgres;

/// <summary>
/// The PostgreSQL server the benchmark uses: <c>PACER_TEST_PG</c> when set (password in <c>PGPASSWORD</c>), else a
/// throwaway cluster started from the installed binaries on 127.0.0.1 and a free port, as the PostgreSQL tests do, and
/// stopped when disposed. Unlike the tests' cluster it keeps PostgreSQL's durable defaults (fsync, synchronous_commit,
/// full_page_writes on); the benchmark's connections choose <see cref="SynchronousCommit"/>.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly Func<Task>? _stop;

    private PostgresCluster(string connectionString, string description, Func<Task>? stop)
    {
        ConnectionString = connectionString;
        Description = description;
        _stop = stop;
    }

    /// <summary>A superuser connection to the maintenance database, without the password (it is in PGPASSWORD).</summary>
    public string ConnectionString { get; }

    public string Description { get; }

    /// <summary>
    /// Whether commits wait for their WAL to reach the disk (PostgreSQL's default, on). Off, a commit survives a crash of
    /// the application, and a crash of the database server or machine loses at most the last few hundred milliseconds of
    /// commits (never corrupts), like SQLite's WAL with synchronous = NORMAL. Set per connection, so it also applies to a
    /// server given in PACER_TEST_PG, and the same for both systems.
    /// </summary>
    public bool SynchronousCommit { get; set; }

    /// <summary>A connection string for <paramref name="schema"/>, with a pool of at most <paramref name="maxPool"/>.</summary>
    public string For(string schema, int maxPool = 20) =>
        new NpgsqlConnectionStringBuilder(ConnectionString)
        {
            SearchPath = schema,
            MaxPoolSize = maxPool,
            // PACER_BENCH_PGOPTIONS adds session settings for diagnosis, e.g. "-c log_min_duration_statement=25".
            Options = ((SynchronousCommit ? "" : "-c synchronous_commit=off ") + Environment.GetEnvironmentVariable("PACER_BENCH_PGOPTIONS")).Trim() is { Length: > 0 } o ? o : null,
        }.ConnectionString;

    public async Task DropSchemaAsync(string schema)
    {
        await using var data = NpgsqlDataSource.Create(ConnectionString);
        await using var command = data.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await command.ExecuteNonQueryAsync();
    }

    public async Task<string> VersionAsync()
    {
        await using var data = NpgsqlDataSource.Create(ConnectionString);
        await using var command = data.CreateCommand("SHOW server_version");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<PostgresCluster> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("PACER_TEST_PG") is { Length: > 0 } given)
            return new PostgresCluster(given, "the server in PACER_TEST_PG", stop: null);
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "No PostgreSQL server: set PACER_TEST_PG to a connection string (password in PGPASSWORD), or install PostgreSQL's " +
            "server binaries (apt-get install postgresql) so the benchmark can start a throwaway cluster.");
        var root = Directory.CreateTempSubdirectory("pacer-bench-pg-").FullName;
        var asRoot = Environment.UserName == "root";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await File.WriteAllTextAsync(Path.Combine(root, "pwfile"), password);
        if (asRoot)
            await RunAsync("chown", "-R", "postgres:postgres", root);
        var data = Path.Combine(root, "data");
        await RunAsUserAsync(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-E", "UTF8",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile", Path.Combine(root, "pwfile"));
        var port = FreePort();
        await RunAsUserAsync(asRoot, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(root, "log"), "-w", "-t", "60", "start", "-o",
            $"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=300");
        // The password reaches Npgsql, and the worker processes (which inherit it), the way an operator would give it.
        Environment.SetEnvironmentVariable("PGPASSWORD", password);
        var version = Path.GetFileName(Path.GetDirectoryName(bin));
        return new PostgresCluster(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres",
            $"a throwaway PostgreSQL {version} cluster on 127.0.0.1 (initdb defaults, max_connections 300; fsync and full_page_writes on)",
            async () =>
            {
                await RunAsUserAsync(asRoot, Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop");
                Directory.Delete(root, recursive: true);
            });
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
            await _stop();
    }
}
