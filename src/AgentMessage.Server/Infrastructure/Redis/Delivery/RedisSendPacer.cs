using AgentMessage.Core.Delivery;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Infrastructure.Redis.Messaging;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

public sealed class RedisSendPacer(RedisGate redis, PaceTable paces) : ISendPacer
{
    public async ValueTask<TimeSpan> TryPassAsync(string organizationId, string fromNumber, CancellationToken cancellationToken)
    {
        var policy = await paces.ForAsync(organizationId, fromNumber, cancellationToken);
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.RateLimit, [RedisKeys.Pace(organizationId, fromNumber)], [policy.Burst, policy.PerSecond])))!;
        var decision = TokenBucket.Decide((int)reply[0] == 1, RedisSendAdmission.ParseTokens(reply[1]), policy);
        return decision.Allowed ? TimeSpan.Zero : decision.RetryAfter;
    }
}
