namespace Pacer.BuiltIn;

/// <summary>Arguments of the <c>noop</c> kind: none (<c>{}</c>).</summary>
public sealed record NoopJobArgs;

internal sealed class NoopJobHandler : IJobHandler<NoopJobArgs>
{
    public Task HandleAsync(NoopJobArgs args, JobContext context) => Task.CompletedTask;
}
