using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>Ready only while Redis answers a PING. Through <see cref="RedisGate"/> like every other
/// Redis call, so it is counted and timed with them and an outage is logged once.</summary>
public sealed class RedisHealthCheck(RedisGate redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.RunAsync(db => db.PingAsync());
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is StoreUnavailableException or RedisServerException)
        {
            return HealthCheckResult.Unhealthy("redis unreachable");
        }
    }
}
