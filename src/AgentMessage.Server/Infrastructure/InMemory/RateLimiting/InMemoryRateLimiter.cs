using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Server.Infrastructure.InMemory.RateLimiting;

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
