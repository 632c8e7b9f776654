using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Pacer.Bench.Micro;

/// <summary><c>micro</c>: the BenchmarkDotNet suite of this assembly; arguments go to BenchmarkDotNet.</summary>
internal static class MicroCommand
{
    public const string Usage =
        "micro [BenchmarkDotNet options]\n" +
        "  e.g. micro --filter '*Store*'   (all: micro --filter '*'; list: micro --list flat)";

    public static int Run(string[] args)
    {
        // In process: BenchmarkDotNet's usual toolchain generates and builds a project under bin/, which would inherit
        // this repository's central package management and analyzers. For calls of microseconds and more the
        // difference does not matter.
        var config = DefaultConfig.Instance
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroCommand).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
