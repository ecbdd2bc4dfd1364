namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Scheduled sends and cancels with all state on a real redis-server.</summary>
public sealed class RedisScheduledDeliveryTests(RedisFixture redis) : ScheduledDeliveryFlowTests, IClassFixture<RedisFixture>
{
    protected override async Task<TestServer> StartAsync(ShiftedTimeProvider clock, IDictionary<string, string> settings)
    {
        await redis.Server.FlushAsync();
        var all = new Dictionary<string, string>(settings)
        {
            ["AgentMessage:Redis:Configuration"] = redis.Server.Configuration,
            ["AgentMessage:Dev:Seed"] = "true",
        };
        return await StartWithClockAsync(clock, all);
    }
}
