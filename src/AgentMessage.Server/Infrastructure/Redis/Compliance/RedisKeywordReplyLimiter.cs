using AgentMessage.Core.Compliance;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

/// <summary>
/// Keyword replies taken in Redis, shared by every instance: one string key per organization,
/// person and action (<see cref="RedisKeys.KeywordReply"/>) that Redis expires after the window.
/// One round trip: SET NX PX.
/// </summary>
public sealed class RedisKeywordReplyLimiter(RedisGate redis) : IKeywordReplyLimiter
{
    public async ValueTask<bool> TryTakeAsync(string organizationId, string person, KeywordAction action, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(organizationId);
        ArgumentException.ThrowIfNullOrEmpty(person);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);

        // Whole milliseconds, at least one: PX refuses zero.
        var expiry = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(window.TotalMilliseconds)));
        return await redis.RunAsync(db => db.StringSetAsync(RedisKeys.KeywordReply(organizationId, person, action), 1, expiry, When.NotExists));
    }
}
