using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Infrastructure.Redis.Messaging;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.RateLimiting;

/// <summary>Buckets for operations other than sends (media uploads), shared by every instance.</summary>
public sealed class RedisRateLimiter(RedisGate redis) : IRateLimiter
{
    public async ValueTask<RateLimitDecision> TryAcquireAsync(string organizationId, RateLimitedOperation operation, RateLimitPolicy policy, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.RateLimit, [RedisKeys.Bucket(organizationId, operation)], [policy.Burst, policy.PerSecond])))!;
        return TokenBucket.Decide((int)reply[0] == 1, RedisSendAdmission.ParseTokens(reply[1]), policy);
    }
}
