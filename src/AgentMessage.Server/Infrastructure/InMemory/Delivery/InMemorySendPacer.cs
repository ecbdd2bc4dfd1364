using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Server.Infrastructure.InMemory.Delivery;

public sealed class InMemorySendPacer(PaceTable paces, TimeProvider time) : ISendPacer
{
    private readonly ConcurrentDictionary<(string, string), (double Tokens, long At)> buckets = new();

    public async ValueTask<TimeSpan> TryPassAsync(string organizationId, string fromNumber, CancellationToken cancellationToken)
    {
        var policy = await paces.ForAsync(organizationId, fromNumber, cancellationToken);
        var key = (organizationId, fromNumber);
        var now = time.GetTimestamp();
        lock (buckets)
        {
            var (tokens, at) = buckets.TryGetValue(key, out var state) ? state : (policy.Burst, now);
            var (left, decision) = TokenBucket.Take(tokens, time.GetElapsedTime(at, now), policy);
            buckets[key] = (left, now);
            return decision.Allowed ? TimeSpan.Zero : decision.RetryAfter;
        }
    }
}
