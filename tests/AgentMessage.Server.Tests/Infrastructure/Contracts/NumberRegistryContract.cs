using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="INumberRegistry"/>: the numbers each organization sends from; one owner per number.</summary>
public abstract class NumberRegistryContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_added_number_is_owned_and_found_by_its_owner()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<INumberRegistry>();
        var org = ContractData.Organization();
        var number = ContractData.Number();

        Assert.True(await registry.AddAsync(org, number, Ct));

        Assert.True(await registry.IsOwnedAsync(org, number, Ct));
        Assert.Equal(org, await registry.FindOwnerAsync(number, Ct));
        Assert.Equal(new OwnedNumberRecord(number), await registry.GetAsync(org, number, Ct));
        Assert.Null(await registry.FindOwnerAsync(ContractData.Number(), Ct));
    }

    [Fact]
    public async Task A_number_has_one_owner_at_a_time()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<INumberRegistry>();
        var owner = ContractData.Organization();
        var other = ContractData.Organization();
        var number = ContractData.Number();
        Assert.True(await registry.AddAsync(owner, number, Ct));

        Assert.False(await registry.AddAsync(other, number, Ct));
        Assert.False(await registry.PutAsync(other, new OwnedNumberRecord(number, 5), Ct));

        Assert.False(await registry.IsOwnedAsync(other, number, Ct));
        Assert.Equal(owner, await registry.FindOwnerAsync(number, Ct));
        Assert.True(await registry.RemoveAsync(owner, number, Ct));
        Assert.Null(await registry.FindOwnerAsync(number, Ct));
        Assert.True(await registry.AddAsync(other, number, Ct));
        Assert.Equal(other, await registry.FindOwnerAsync(number, Ct));
    }

    [Fact]
    public async Task A_number_keeps_its_own_pace_and_the_owner_lists_its_numbers_in_order()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<INumberRegistry>();
        var org = ContractData.Organization();
        var paced = new OwnedNumberRecord("+15550000009", 2.5);
        var plain = new OwnedNumberRecord("+15550000008");

        Assert.True(await registry.PutAsync(org, paced, Ct));
        Assert.True(await registry.PutAsync(org, plain, Ct));

        Assert.Equal(paced, await registry.GetAsync(org, paced.Number, Ct));
        Assert.Equal([plain, paced], await registry.ListAsync(org, Ct));
        Assert.True(await registry.PutAsync(org, paced with { PacePerSecond = null }, Ct));
        Assert.Equal(new OwnedNumberRecord(paced.Number), await registry.GetAsync(org, paced.Number, Ct));
    }

    [Fact]
    public async Task Removing_a_number_the_organization_does_not_own_changes_nothing()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<INumberRegistry>();
        var owner = ContractData.Organization();
        var number = ContractData.Number();
        await registry.AddAsync(owner, number, Ct);

        Assert.False(await registry.RemoveAsync(ContractData.Organization(), number, Ct));

        Assert.True(await registry.IsOwnedAsync(owner, number, Ct));
        Assert.Equal(owner, await registry.FindOwnerAsync(number, Ct));
    }
}
