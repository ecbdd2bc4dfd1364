using AgentMessage.Server.RateLimiting;

namespace AgentMessage.Server.Errors;

/// <summary>
/// A refusal of a call, as a value: one row of the error table with its message, field problems or
/// other facts, and the retry delay and bucket state to report. The hot path's expected refusals
/// (rate limit, consent, line type, validation) travel as this value to the transport; anything
/// else throws it wrapped in an <see cref="ApiException"/>. Either way <see cref="ApiFailure"/>
/// renders it.
/// </summary>
public sealed record ApiError
{
    public ApiError(ErrorCode error, string? message = null, IReadOnlyDictionary<string, string>? details = null)
    {
        Error = error;
        Message = message ?? error.DefaultMessage;
        Details = details;
    }

    public ErrorCode Error { get; }

    public string Message { get; }

    /// <summary>Field path to problem, for validation failures; other extra facts for other codes.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; }

    /// <summary>When set, the caller may retry after this delay (Retry-After, RetryInfo).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The rate-limit state to report in headers alongside the error.</summary>
    public RateLimitDecision? RateLimit { get; init; }

    public static ApiError Validation(string field, string problem) =>
        new(ErrorCode.ValidationFailed, details: new Dictionary<string, string> { [field] = problem });

    public static ApiError Validation(IReadOnlyDictionary<string, string> problems) =>
        new(ErrorCode.ValidationFailed, details: problems);
}
