namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class InMemoryWebhookStoreContractTests : WebhookStoreContract
{
    protected override Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null) => Task.FromResult(StoreHarness.InMemory(settings));
}
