namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class RedisKeywordReplyLimiterContractTests(RedisFixture redis) : KeywordReplyLimiterContract, IClassFixture<RedisFixture>
{
    protected override async Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null)
    {
        await redis.Server.FlushAsync();
        return StoreHarness.Redis(redis.Server.Configuration, settings);
    }
}
