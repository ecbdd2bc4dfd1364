namespace AgentMessage.Core.RateLimiting;

/// <summary>
/// The bucket arithmetic, shared by every implementation so that they all admit the same calls:
/// tokens refill continuously at <c>PerSecond</c> up to <c>Burst</c>, and a call takes one.
/// </summary>
public static class TokenBucket
{
    /// <summary>Refills a bucket last seen holding <paramref name="tokens"/> and tries to take one token.</summary>
    public static (double Tokens, RateLimitDecision Decision) Take(double tokens, TimeSpan elapsed, RateLimitPolicy policy)
    {
        var refilled = Math.Min(policy.Burst, tokens + (Math.Max(0, elapsed.TotalSeconds) * policy.PerSecond));
        var allowed = refilled >= 1;
        var left = allowed ? refilled - 1 : refilled;
        return (left, Decide(allowed, left, policy));
    }

    /// <summary>The figures to report, from whether a token was taken and how many are left.</summary>
    public static RateLimitDecision Decide(bool allowed, double left, RateLimitPolicy policy)
    {
        var retryAfter = allowed ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - left) / policy.PerSecond);
        var resetAfter = TimeSpan.FromSeconds((policy.Burst - left) / policy.PerSecond);
        return new RateLimitDecision(allowed, policy.Burst, (int)Math.Floor(left), resetAfter, retryAfter);
    }
}
