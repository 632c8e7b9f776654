using Pacer.Secrets;

namespace Pacer.Tests.Secrets;

public sealed class SecretTests
{
    [Theory]
    [InlineData("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "GET /v3/videos?key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY&id=1 failed", "GET /v3/videos?key=***&id=1 failed")]
    [InlineData("s3cretvalue", "prefix-s3cretvalue-suffix", "prefix-***-suffix")] // a long value is hidden inside words too
    [InlineData("k", "API key k not valid. Please pass a valid API key.", "API key *** not valid. Please pass a valid API key.")]
    [InlineData("t", "The access token t expired", "The access token *** expired")]
    [InlineData("abc1", "POST 127.0.0.1/services/abc1 answered 403", "POST 127.0.0.1/services/*** answered 403")]
    [InlineData("abc1", "key=abc1", "key=***")]
    [InlineData("abc1", "abc1", "***")]
    [InlineData("aa", "aaa aa", "aaa ***")]
    [InlineData("", "anything", "anything")]
    public void Hide_HidesTheValue_AShortOneOnlyWhereItStandsAlone(string value, string text, string expected) =>
        Assert.Equal(expected, Secret.Hide(text, value));

    [Fact]
    public void Scrub_IsHide()
    {
        var secret = new Secret("k", "the environment variable PACER_YOUTUBE_API_KEY");

        Assert.Equal("Bad key: ***", secret.Scrub("Bad key: k"));
        Assert.Equal("the environment variable PACER_YOUTUBE_API_KEY", secret.ToString());
    }
}
