namespace AgentMessage.Server.RateLimiting;

/// <summary>The operations that have a bucket of their own per organization.</summary>
public enum RateLimitedOperation
{
    Send,
    MediaUpload,
}

/// <summary>A token bucket's shape: how many calls may come at once, and how fast it refills.</summary>
public sealed record RateLimitPolicy(int Burst, double PerSecond)
{
    public static string? Problem(int burst, double perSecond) =>
        burst < 1 ? "burst must be at least 1" : perSecond <= 0 ? "per-second rate must be positive" : null;
}

/// <summary>
/// The outcome of taking one token: whether the call is admitted, and the figures the
/// RateLimit-* and Retry-After headers report.
/// </summary>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter);

/// <summary>Takes tokens from an organization's bucket for one operation.</summary>
public interface IRateLimiter
{
    ValueTask<RateLimitDecision> TryAcquireAsync(string organizationId, RateLimitedOperation operation, RateLimitPolicy policy, CancellationToken cancellationToken);
}

/// <summary>Default bucket shapes, for organizations without their own (AgentMessage:RateLimits).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "AgentMessage:RateLimits";

    public BucketOptions Send { get; set; } = new() { Burst = 100, PerSecond = 50 };

    public BucketOptions MediaUpload { get; set; } = new() { Burst = 20, PerSecond = 5 };

    public RateLimitPolicy For(RateLimitedOperation operation) => operation switch
    {
        RateLimitedOperation.Send => Send.ToPolicy(),
        RateLimitedOperation.MediaUpload => MediaUpload.ToPolicy(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public sealed class BucketOptions
    {
        public int Burst { get; set; }

        public double PerSecond { get; set; }

        public RateLimitPolicy ToPolicy() => new(Burst, PerSecond);
    }
}

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

/// <summary>Buckets held in this process: the embedded default, where one instance serves everyone.</summary>
public sealed class InMemoryRateLimiter(TimeProvider time) : IRateLimiter
{
    private readonly Dictionary<(string, RateLimitedOperation), (double Tokens, long At)> buckets = [];

    public ValueTask<RateLimitDecision> TryAcquireAsync(string organizationId, RateLimitedOperation operation, RateLimitPolicy policy, CancellationToken cancellationToken) =>
        ValueTask.FromResult(TryAcquire(organizationId, operation, policy));

    public RateLimitDecision TryAcquire(string organizationId, RateLimitedOperation operation, RateLimitPolicy policy)
    {
        var now = time.GetTimestamp();
        lock (buckets)
        {
            var key = (organizationId, operation);
            var (tokens, at) = buckets.TryGetValue(key, out var state) ? state : (policy.Burst, now);
            var (left, decision) = TokenBucket.Take(tokens, time.GetElapsedTime(at, now), policy);
            buckets[key] = (left, now);
            return decision;
        }
    }
}
