namespace Pacer.Sheets.Tests;

/// <summary>What happens to one request that a test picks, nearest the network.</summary>
public enum Mishap
{
    /// <summary>The request reaches Sheets and is applied, but the connection breaks before the answer comes back.</summary>
    AnswerLost,

    /// <summary>The connection breaks after the request was sent, before Sheets applied it.</summary>
    LostBeforeApplied,

    /// <summary>No connection can be made: the request never leaves.</summary>
    NoConnection,
}

/// <summary>
/// A handler nearest the network that spoils the first <paramref name="count"/> requests matching <paramref name="pick"/>
/// with <paramref name="mishap"/>, and passes everything else through.
/// </summary>
internal sealed class LoseAnswers(Func<HttpRequestMessage, bool> pick, Mishap mishap, int count = 1) : DelegatingHandler
{
    private readonly int _count = count;
    private int _left = count;

    public int Spoiled => _count - Math.Max(0, Volatile.Read(ref _left));

    public static bool Appends(HttpRequestMessage request) => request.RequestUri!.AbsolutePath.EndsWith(":append", StringComparison.Ordinal);

    /// <summary>A sink's first batch update is the one that adds its tab.</summary>
    public static bool BatchUpdates(HttpRequestMessage request) => request.RequestUri!.AbsolutePath.EndsWith(":batchUpdate", StringComparison.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!pick(request) || Interlocked.Decrement(ref _left) < 0)
            return await base.SendAsync(request, cancellationToken);
        switch (mishap)
        {
            case Mishap.AnswerLost:
                using (await base.SendAsync(request, cancellationToken))
                    throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
            case Mishap.LostBeforeApplied:
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
            default:
                throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (sheets.googleapis.com:443)");
        }
    }
}
