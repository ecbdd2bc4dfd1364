using AgentMessage.Server.RateLimiting;

namespace AgentMessage.Server.Errors;

/// <summary>
/// The one way domain and transport code report a failure to a caller. The gRPC interceptor turns it
/// into a status with ErrorInfo, BadRequest and RetryInfo details; the REST facade into the envelope.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(ErrorCode error, string? message = null, IReadOnlyDictionary<string, string>? details = null)
        : base(message ?? error.DefaultMessage)
    {
        Error = error;
        Details = details;
    }

    public ErrorCode Error { get; }

    /// <summary>Field path to problem, for validation failures; other extra facts for other codes.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; }

    /// <summary>When set, the caller may retry after this delay (Retry-After, RetryInfo).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The rate-limit state to report in headers alongside the error.</summary>
    public RateLimitDecision? RateLimit { get; init; }

    public static ApiException Validation(string field, string problem) =>
        new(ErrorCode.ValidationFailed, details: new Dictionary<string, string> { [field] = problem });

    public static ApiException Validation(IReadOnlyDictionary<string, string> problems) =>
        new(ErrorCode.ValidationFailed, details: problems);
}
