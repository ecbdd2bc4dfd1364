namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class InMemoryKeywordReplyLimiterContractTests : KeywordReplyLimiterContract
{
    protected override Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null) => Task.FromResult(StoreHarness.InMemory(settings));
}
