namespace Pacer.GoogleApis;

/// <summary>
/// Google.Apis.Auth's clock on the injected <see cref="TimeProvider"/>: a token's age, when it is renewed and the times a
/// service account signs into its assertion follow the clock the host (and a test) gives.
/// </summary>
internal sealed class GoogleClock(TimeProvider time) : Google.Apis.Util.IClock
{
    public DateTime Now => time.GetLocalNow().DateTime;

    public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
}
