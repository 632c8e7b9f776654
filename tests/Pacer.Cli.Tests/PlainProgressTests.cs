namespace Pacer.Cli.Tests;

public sealed class PlainProgressTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NothingInTheFirstSecond()
    {
        var progress = new PlainProgress(Start);

        Assert.False(progress.ShouldWrite("sync: channels resolved 0/32", Start));
        Assert.False(progress.ShouldWrite("sync: channels resolved 12/32", Start + TimeSpan.FromMilliseconds(900)));
        Assert.True(progress.ShouldWrite("sync: channels resolved 20/32", Start + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AnUnchangedLine_IsWrittenOnceAMinute_NotEverySecond()
    {
        var progress = new PlainProgress(Start - TimeSpan.FromSeconds(1));

        // An hour's wait for the quota's reset, looked at ten times a second.
        var written = 0;
        for (var tick = 0; tick < 36_000; tick++)
            written += progress.ShouldWrite("sync: ...; waiting for youtube quota", Start + TimeSpan.FromMilliseconds(100 * tick)) ? 1 : 0;

        Assert.Equal(60, written);
    }

    [Fact]
    public void AChangedLine_IsWrittenAtOnce_ButAtMostOnceASecond()
    {
        var progress = new PlainProgress(Start - TimeSpan.FromSeconds(1));

        Assert.True(progress.ShouldWrite("pages 1", Start));
        Assert.False(progress.ShouldWrite("pages 2", Start + TimeSpan.FromMilliseconds(500)));
        Assert.True(progress.ShouldWrite("pages 3", Start + TimeSpan.FromSeconds(1)));
        Assert.False(progress.ShouldWrite("pages 3", Start + TimeSpan.FromSeconds(2)));
        Assert.True(progress.ShouldWrite("pages 4", Start + TimeSpan.FromSeconds(2.5)));
    }
}
