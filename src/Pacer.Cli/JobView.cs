using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pacer.Cli;

/// <summary>A job as the CLI shows it: every stored field, with argument values that look secret replaced.</summary>
internal sealed record JobView(
    long Id,
    string Kind,
    string Queue,
    int Priority,
    JobState State,
    int Attempt,
    int MaxAttempts,
    DateTimeOffset ScheduledAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? AttemptedAt,
    DateTimeOffset? FinalizedAt,
    TimeSpan? Timeout,
    IReadOnlyList<string> Tags,
    IReadOnlyList<ResourceClaim> Claims,
    string? UniqueKey,
    JsonNode? Args,
    IReadOnlyList<JobError> Errors,
    string? TraceParent,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    bool CancelRequested,
    string? WaitingOn,
    string? WaitReason,
    DateTimeOffset? WaitUntil)
{
    public static JobView From(JobRecord job) => new(
        job.Id, job.Kind, job.Queue, job.Priority, job.State, job.Attempt, job.MaxAttempts, job.ScheduledAt, job.CreatedAt,
        job.AttemptedAt, job.FinalizedAt, job.Timeout, job.Tags, job.Claims, job.UniqueKey, ArgsRedactor.Redact(job.Args),
        job.Errors, job.TraceParent, job.LeaseOwner, job.LeaseExpiresAt, job.CancelRequested, job.WaitingOn, job.WaitReason, job.WaitUntil);
}

/// <summary>A job's line in a list: no arguments, no error details; a waiting job says what it waits for.</summary>
internal sealed record JobSummary(long Id, string Kind, string Queue, JobState State, int Attempt, int MaxAttempts, int Priority,
    DateTimeOffset ScheduledAt, DateTimeOffset CreatedAt, DateTimeOffset? FinalizedAt, IReadOnlyList<string> Tags, string? LastError,
    string? WaitingOn, string? WaitReason, DateTimeOffset? WaitUntil)
{
    public static JobSummary From(JobRecord job) => new(job.Id, job.Kind, job.Queue, job.State, job.Attempt, job.MaxAttempts, job.Priority,
        job.ScheduledAt, job.CreatedAt, job.FinalizedAt, job.Tags, job.Errors.Count > 0 ? job.Errors[^1].Message : null,
        job.WaitingOn, job.WaitReason, job.WaitUntil);
}

/// <summary>
/// Hides argument values that often carry credentials before they are printed: every value under <c>headers</c>
/// (the http kind's), and any property whose name says secret. The stored job keeps them; the screen does not.
/// </summary>
internal static class ArgsRedactor
{
    public const string Hidden = "(hidden)";

    private static readonly string[] SecretWords = ["password", "secret", "token", "apikey", "api_key", "authorization", "cookie", "credential"];

    public static JsonNode? Redact(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            // Stored arguments were validated as JSON at enqueue; if they are not JSON now, show none rather than raw text.
            return JsonValue.Create("(not valid JSON)");
        }
        Walk(node);
        return node;
    }

    private static void Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToArray())
                {
                    if (name.Equals("headers", StringComparison.OrdinalIgnoreCase) && value is JsonObject headers)
                    {
                        foreach (var header in headers.Select(h => h.Key).ToArray())
                            headers[header] = Hidden;
                    }
                    else if (IsSecretName(name) && value is not null)
                    {
                        obj[name] = Hidden;
                    }
                    else
                    {
                        Walk(value);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                    Walk(item);
                break;
        }
    }

    private static bool IsSecretName(string name) =>
        SecretWords.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));
}
