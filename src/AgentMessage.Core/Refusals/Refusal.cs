using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Refusals;

/// <summary>
/// A refusal of a call, as a value: one row of the error table with its message, field problems or
/// other facts, and the retry delay and bucket state to report. The hot path's expected refusals
/// (rate limit, consent, line type, validation) travel as this value to the transport; anything
/// else throws it wrapped in a <see cref="RefusalException"/>. Either way each edge renders it
/// through its one mapping of <see cref="RefusalKind"/>.
/// </summary>
public sealed record Refusal
{
    public Refusal(RefusalKind kind, string? message = null, IReadOnlyDictionary<string, string>? details = null)
    {
        Kind = kind;
        Message = message ?? kind.DefaultMessage;
        Details = details;
    }

    public RefusalKind Kind { get; }

    public string Message { get; }

    /// <summary>Field path to problem, for validation failures; other extra facts for other codes.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; }

    /// <summary>When set, the caller may retry after this delay (Retry-After, RetryInfo).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The rate-limit state to report in headers alongside the error.</summary>
    public RateLimitDecision? RateLimit { get; init; }

    /// <summary>The refusal an exception stands for: a thrown refusal, or a store outage
    /// (<c>UNAVAILABLE</c> with its retry delay); null for anything else, which is a fault.</summary>
    public static Refusal? Of(Exception exception) => exception switch
    {
        RefusalException refused => refused.Refusal,
        StoreUnavailableException outage => outage.ToRefusal(),
        _ => null,
    };

    public static Refusal Validation(string field, string problem) =>
        new(RefusalKind.ValidationFailed, details: new Dictionary<string, string> { [field] = problem });

    public static Refusal Validation(IReadOnlyDictionary<string, string> problems) =>
        new(RefusalKind.ValidationFailed, details: problems);
}
