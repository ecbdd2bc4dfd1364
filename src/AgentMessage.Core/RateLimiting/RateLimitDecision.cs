namespace AgentMessage.Core.RateLimiting;

/// <summary>
/// The outcome of taking one token: whether the call is admitted, and the figures the
/// RateLimit-* and Retry-After headers report.
/// </summary>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter);
