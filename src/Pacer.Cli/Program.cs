using Pacer.Cli;

return await PacerCli.MainAsync(args);
