using System.ComponentModel.DataAnnotations;
using BenchmarkDotNet.Attributes;

namespace Pacer.Bench.Micro;

/// <summary>What a job's arguments cost: serialized at enqueue, parsed strictly and validated at enqueue, parsed again to run.</summary>
[MemoryDiagnoser]
public class ArgsBenchmarks
{
    private const string Json = """{"url":"https://example.org/hook","text":"build 42 passed","attempt":3}""";
    private readonly JobKind _kind = JobKind.Create<Handler, Notify>("notify", new JobKindOptions());
    private readonly Notify _args = new("https://example.org/hook", "build 42 passed", 3);

    [Benchmark]
    public string Serialize() => _kind.Serialize(_args);

    [Benchmark]
    public object ParseForEnqueue() => _kind.ParseForEnqueue(Json);

    [Benchmark]
    public object ParseForRun() => _kind.ParseForRun(Json);

    public sealed record Notify([property: Required, Url] string Url, [property: Required] string Text, [property: Range(0, 100)] int Attempt);

    public sealed class Handler : IJobHandler<Notify>
    {
        public Task HandleAsync(Notify args, JobContext context) => Task.CompletedTask;
    }
}
