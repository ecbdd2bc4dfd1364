namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class RedisWebhookStoreContractTests(RedisFixture redis) : WebhookStoreContract, IClassFixture<RedisFixture>
{
    protected override async Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null)
    {
        await redis.Server.FlushAsync();
        return StoreHarness.Redis(redis.Server.Configuration, settings);
    }
}
