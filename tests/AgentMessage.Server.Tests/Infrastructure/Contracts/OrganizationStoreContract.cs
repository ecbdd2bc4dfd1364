using AgentMessage.Core.Organizations;
using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IOrganizationStore"/>: organizations by id, replaced whole.</summary>
public abstract class OrganizationStoreContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_organization_reads_back_as_put_and_is_listed()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IOrganizationStore>();
        var organization = new Organization(ContractData.Organization(), "Acme", new RateLimitPolicy(5, 2), new RateLimitPolicy(1, 0.5), MmsEnabled: false);

        await store.PutAsync(organization, Ct);

        Assert.Equal(organization, await store.GetAsync(organization.Id, Ct));
        Assert.Contains(organization.Id, await store.ListIdsAsync(Ct));
        Assert.Null(await store.GetAsync(ContractData.Organization(), Ct));
    }

    [Fact]
    public async Task Putting_an_organization_again_replaces_it()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IOrganizationStore>();
        var organization = new Organization(ContractData.Organization(), "Acme", new RateLimitPolicy(5, 2));
        await store.PutAsync(organization, Ct);
        Assert.Equal(organization, await store.GetAsync(organization.Id, Ct));

        var renamed = organization with { Name = "Acme Ltd", SendLimit = null };
        await store.PutAsync(renamed, Ct);

        Assert.Equal(renamed, await store.GetAsync(organization.Id, Ct));
        Assert.Single(await store.ListIdsAsync(Ct), id => id == organization.Id);
    }
}
