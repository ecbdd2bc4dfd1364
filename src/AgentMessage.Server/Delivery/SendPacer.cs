using System.Collections.Concurrent;
using AgentMessage.Server.Compliance;
using AgentMessage.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Delivery;

/// <summary>
/// The send pace of each sender number (messages per second): a token bucket of one token per
/// number, shared by every instance. A message over the pace waits in the queue; it is never refused.
/// </summary>
public interface ISendPacer
{
    /// <summary>Zero when the message may go now; otherwise how long to wait before asking again.</summary>
    ValueTask<TimeSpan> TryPassAsync(string organizationId, string fromNumber, CancellationToken cancellationToken);
}

/// <summary>
/// A number's pace: the one the operator stored with the owned number (AdminService.AddNumber), else
/// the configured one (AgentMessage:Delivery:NumberPace:+15551112222 = 5), else the default. The
/// registry read is the cached one on Redis, so a change reaches every instance within the local cache TTL.
/// </summary>
public sealed class PaceTable(IOptions<DeliveryOptions> options, INumberRegistry numbers)
{
    public async ValueTask<RateLimitPolicy> ForAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var owned = await numbers.GetAsync(organizationId, number, cancellationToken);
        return new(1, owned?.PacePerSecond is > 0 and var stored ? stored
            : options.Value.NumberPace.TryGetValue(number, out var pace) && pace > 0 ? pace
            : options.Value.DefaultPacePerSecond);
    }
}

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
