namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class InMemoryIdempotencyStoreContractTests : IdempotencyStoreContract
{
    protected override Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null) => Task.FromResult(StoreHarness.InMemory(settings));
}
