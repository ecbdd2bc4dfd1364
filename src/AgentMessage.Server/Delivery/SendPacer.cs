using System.Collections.Concurrent;
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

/// <summary>Paces configured per number (AgentMessage:Delivery:NumberPace:+15551112222 = 5), else the default.</summary>
public sealed class PaceTable(IOptions<DeliveryOptions> options)
{
    public RateLimitPolicy For(string number) =>
        new(1, options.Value.NumberPace.TryGetValue(number, out var pace) && pace > 0 ? pace : options.Value.DefaultPacePerSecond);
}

public sealed class InMemorySendPacer(PaceTable paces, TimeProvider time) : ISendPacer
{
    private readonly ConcurrentDictionary<(string, string), (double Tokens, long At)> buckets = new();

    public ValueTask<TimeSpan> TryPassAsync(string organizationId, string fromNumber, CancellationToken cancellationToken)
    {
        var policy = paces.For(fromNumber);
        var key = (organizationId, fromNumber);
        var now = time.GetTimestamp();
        lock (buckets)
        {
            var (tokens, at) = buckets.TryGetValue(key, out var state) ? state : (policy.Burst, now);
            var (left, decision) = TokenBucket.Take(tokens, time.GetElapsedTime(at, now), policy);
            buckets[key] = (left, now);
            return ValueTask.FromResult(decision.Allowed ? TimeSpan.Zero : decision.RetryAfter);
        }
    }
}
