using AgentMessage.Core.Access;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Access;

/// <summary>
/// Signatures remembered in Redis, shared by every instance: one string key per signature
/// (<see cref="RedisKeys.SignedRequest"/>) that Redis expires after the keep. One round trip per
/// call: EXISTS, or SET NX PX.
/// </summary>
public sealed class RedisSignedRequestLedger(RedisGate redis) : ISignedRequestLedger
{
    public async ValueTask<bool> ContainsAsync(string signature, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(signature);
        return await redis.RunAsync(db => db.KeyExistsAsync(RedisKeys.SignedRequest(signature)));
    }

    public async ValueTask<bool> AddAsync(string signature, TimeSpan keep, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(signature);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keep, TimeSpan.Zero);

        // Whole milliseconds, at least one: PX refuses zero.
        var expiry = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(keep.TotalMilliseconds)));
        return await redis.RunAsync(db => db.StringSetAsync(RedisKeys.SignedRequest(signature), 1, expiry, When.NotExists));
    }
}
