using System.Net;

namespace Pacer.YouTube;

/// <summary>
/// YouTube refused the request for a reason that repeating it will not change: the credential (403 <c>forbidden</c>,
/// 400 <c>keyInvalid</c>, 401), a bad parameter (400 <c>invalidPageToken</c>), an unknown playlist (404
/// <c>playlistNotFound</c>). A <see cref="PermanentJobException"/>: a job that lets it escape is not retried. The message
/// names the problem and, for a credential, where it was read from; never the credential itself.
/// </summary>
public sealed class YouTubeRequestException : PermanentJobException
{
    public YouTubeRequestException()
        : this("YouTube refused the request.")
    {
    }

    public YouTubeRequestException(string message)
        : base(message)
    {
        Operation = "";
    }

    public YouTubeRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "";
    }

    internal YouTubeRequestException(string message, string operation, HttpStatusCode statusCode, string? reason, string? domain, bool credentialRefused)
        : base(message)
    {
        Operation = operation;
        StatusCode = statusCode;
        Reason = reason;
        Domain = domain;
        CredentialRefused = credentialRefused;
    }

    /// <summary>The method called, as the quota table names it: <c>channels.list</c>, <c>playlistItems.list</c>, <c>videos.list</c>.</summary>
    public string Operation { get; }

    public HttpStatusCode StatusCode { get; }

    /// <summary>YouTube's reason (<c>playlistNotFound</c>, <c>invalidPageToken</c>, <c>forbidden</c>, <c>keyInvalid</c>), if it gave one.</summary>
    public string? Reason { get; }

    /// <summary>YouTube's error domain (<c>youtube.playlistItem</c>, <c>global</c>), if it gave one.</summary>
    public string? Domain { get; }

    /// <summary>True when the credential was refused (wrong, expired, or not allowed to use the API).</summary>
    public bool CredentialRefused { get; }
}
