namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class RedisInboundMessageStoreContractTests(RedisFixture redis) : InboundMessageStoreContract, IClassFixture<RedisFixture>
{
    protected override async Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null)
    {
        await redis.Server.FlushAsync();
        return StoreHarness.Redis(redis.Server.Configuration, settings);
    }
}
