using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Pacer.Cli.Commands;

/// <summary><c>pacer run</c>: a worker host running the engine until Ctrl+C or SIGTERM (or, with --drain, until idle).</summary>
internal static class RunCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var config = new Option<string?>("--config") { Description = "appsettings-style JSON file; its \"Pacer\" section sets the engine options (see docs/configuration.md)", HelpName = "FILE" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Jobs this worker runs at once, across all queues", HelpName = "N" };
        var queues = new Option<string?>("--queues") { Description = "Queues to work and their concurrency, e.g. default=5,emails=2", HelpName = "LIST" };
        var drain = new Option<bool>("--drain") { Description = "Exit 0 once no job is running or due; jobs scheduled for later stay in place" };
        var command = new Command("run", "Run a worker: execute due jobs until stopped (Ctrl+C or SIGTERM stop it gracefully)")
        {
            config, concurrency, queues, drain,
        };
        command.SetGuardedAction(context, async (parse, cli, cancellationToken) =>
        {
            var configFile = parse.GetValue(config);
            if (configFile is not null && !File.Exists(configFile))
                throw CliException.Usage($"--config {configFile} does not exist; pass the path of an appsettings-style JSON file.");
            var slots = parse.GetValue(concurrency);
            if (slots is < 1)
                throw CliException.Usage($"--concurrency {slots} is too small; use 1 or more.");
            var queueValue = parse.GetValue(queues);
            var queueSlots = queueValue is null ? null : CliParse.Queues("--queues", queueValue);
            DatabaseFile.EnsureCreatable(cli.DatabasePath);

            var settings = cli.HostSettings() with
            {
                ConfigFile = configFile,
                ConsoleLogging = true,
                Options = options =>
                {
                    if (slots is { } n)
                        options.Concurrency = n;
                    if (queueSlots is not null)
                    {
                        // The flag replaces the configured queues rather than adding to them.
                        options.Queues.Clear();
                        foreach (var (name, count) in queueSlots)
                            options.Queues[name] = count;
                    }
                },
            };
            using var host = BuildHost(settings, configFile);
            await host.StartAsync(cancellationToken);
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            var drained = false;
            try
            {
                if (parse.GetValue(drain))
                {
                    await host.Services.GetRequiredService<IPacerEngine>().WaitUntilDrainedAsync(stopping.Token);
                    drained = true;
                }
                else
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && lifetime.ApplicationStopping.IsCancellationRequested)
            {
                throw CliException.Failure("The worker host stopped before the jobs drained; see the log lines above for why.");
            }
            finally
            {
                // Graceful: stop fetching, let running jobs finish (ShutdownTimeout), write every outcome.
                await host.StopAsync(CancellationToken.None);
            }
            if (drained)
                await Output.WriteLineAsync(cli.Console, "Drained: no job is running or due.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Builds the worker host and checks its configuration before anything starts.</summary>
    private static IHost BuildHost(CliHostSettings settings, string? configFile)
    {
        IHost host;
        try
        {
            host = CliHost.CreateBuilder(settings).Build();
        }
        catch (InvalidDataException ex)
        {
            throw CliException.Usage($"--config {configFile} is not valid JSON: {ex.InnerException?.Message ?? ex.Message} Fix the file and run again.", ex);
        }
        try
        {
            _ = host.Services.GetRequiredService<IOptions<PacerOptions>>().Value;
            return host;
        }
        catch (InvalidOperationException ex)
        {
            // The binder's own message names the key and the type it expected.
            host.Dispose();
            throw CliException.Usage($"invalid configuration: {ex.Message} Fix the value in --config or the environment.", ex);
        }
        catch (OptionsValidationException)
        {
            host.Dispose();
            throw;
        }
    }
}
