using AgentMessage.Server.Tests.Edge.Webhooks;
using static AgentMessage.Server.Tests.Support.WebhookSupport;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Webhook delivery on a real redis-server.</summary>
public sealed class RedisWebhookDeliveryTests(WebhookReceiverFixture receiver, RedisFixture redis)
    : WebhookDeliveryContract(receiver), IClassFixture<WebhookReceiverFixture>, IClassFixture<RedisFixture>
{
    protected override Task<TestServer> StartServerAsync(params (string Key, string Value)[] extra)
    {
        var settings = Settings(extra);
        settings["AgentMessage:Redis:Configuration"] = redis.Server.Configuration;
        settings["AgentMessage:Dev:Seed"] = "true";
        return TestServer.StartAsync(settings);
    }
}
