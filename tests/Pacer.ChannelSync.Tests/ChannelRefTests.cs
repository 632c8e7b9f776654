namespace Pacer.ChannelSync.Tests;

/// <summary>How a channel list is read: every accepted form, repeats, comments, and the line named for a bad entry.</summary>
public sealed class ChannelRefTests
{
    [Fact]
    public void ParseList_ReadsEveryForm_DropsRepeatsAndComments()
    {
        var refs = ChannelRef.ParseList("""
            UC_x5XG1OV2P6uZZ5FSM9Ttw   # an id
            @GoogleDevelopers, https://www.youtube.com/@googledevelopers
            https://www.youtube.com/channel/UCVHFbqXqoYvEWM1Ddxl0QDg
            username:GoogleDevelopers
            mine
            MINE
            """, "channels.txt");

        Assert.Equal(
            [
                (ChannelRefKind.Id, "UC_x5XG1OV2P6uZZ5FSM9Ttw"),
                (ChannelRefKind.Handle, "@GoogleDevelopers"),
                (ChannelRefKind.Id, "UCVHFbqXqoYvEWM1Ddxl0QDg"),
                (ChannelRefKind.Username, "GoogleDevelopers"),
                (ChannelRefKind.Mine, "mine"),
            ],
            refs.Select(r => (r.Kind, r.Value)));
    }

    [Fact]
    public void ParseList_NamesTheLineOfAnEntryThatIsNoChannel_AndTheFormsItTakes()
    {
        var error = Assert.Throws<FormatException>(() => ChannelRef.ParseList("@fine\nminecraft fans", "channels.txt"));

        Assert.StartsWith("channels.txt, line 2: 'minecraft fans' is not a channel;", error.Message, StringComparison.Ordinal);
        Assert.Contains("username:NAME, or mine.", error.Message, StringComparison.Ordinal);
    }
}
