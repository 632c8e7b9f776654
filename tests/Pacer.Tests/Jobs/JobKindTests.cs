using System.ComponentModel.DataAnnotations;

namespace Pacer.Tests.Jobs;

public sealed class JobKindTests
{
    public sealed record EmailArgs
    {
        [Required, EmailAddress]
        public string? To { get; init; }

        [Range(1, 10)]
        public int Copies { get; init; } = 1;
    }

    private sealed class EmailHandler : IJobHandler<EmailArgs>
    {
        public Task HandleAsync(EmailArgs args, JobContext context) => Task.CompletedTask;
    }

    private static JobKind Kind() => JobKind.Create<EmailHandler, EmailArgs>("email", new JobKindOptions());

    [Fact]
    public void ParseForEnqueue_ValidArgs_ReturnsTypedArgs()
    {
        var args = Assert.IsType<EmailArgs>(Kind().ParseForEnqueue("""{"to":"a@example.com","copies":2}"""));

        Assert.Equal("a@example.com", args.To);
        Assert.Equal(2, args.Copies);
    }

    [Fact]
    public void ParseForEnqueue_UnknownField_NamesTheField()
    {
        var error = Assert.Throws<JobArgsException>(() => Kind().ParseForEnqueue("""{"to":"a@example.com","copise":2}"""));

        Assert.Contains("copise", error.Message, StringComparison.Ordinal);
        Assert.Contains("email", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseForRun_UnknownField_IsToleratedForOldJobs()
    {
        var args = Assert.IsType<EmailArgs>(Kind().ParseForRun("""{"to":"a@example.com","removedField":1}"""));

        Assert.Equal("a@example.com", args.To);
    }

    [Fact]
    public void ParseForEnqueue_FailingValidation_NamesEveryField()
    {
        var error = Assert.Throws<JobArgsException>(() => Kind().ParseForEnqueue("""{"copies":50}"""));

        Assert.Contains("to:", error.Message, StringComparison.Ordinal);
        Assert.Contains("copies:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    public void ParseForEnqueue_NotAnObject_IsAPermanentArgsError(string json)
    {
        var error = Assert.Throws<JobArgsException>(() => Kind().ParseForEnqueue(json));

        Assert.IsAssignableFrom<PermanentJobException>(error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ünïcode")]
    public void Create_BadKindName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => JobKind.Create<EmailHandler, EmailArgs>(name, new JobKindOptions()));
    }

    [Fact]
    public void Registry_UnknownKind_ListsTheRegisteredOnes()
    {
        var registry = new JobKindRegistry();
        registry.Add(Kind());

        var error = Assert.Throws<JobArgsException>(() => registry.Get("emial"));

        Assert.Contains("emial", error.Message, StringComparison.Ordinal);
        Assert.Contains("email", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_SameKindTwice_Throws()
    {
        var registry = new JobKindRegistry();
        registry.Add(Kind());

        Assert.Throws<InvalidOperationException>(() => registry.Add(Kind()));
    }
}
