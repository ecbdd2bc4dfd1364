using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IConsentRegistry"/>: opt-ins and opt-outs per organization and recipient.</summary>
public abstract class ConsentRegistryContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_recorded_opt_in_grants_consent_to_that_organization_only()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<IConsentRegistry>();
        var org = ContractData.Organization();
        var consent = new ConsentRecord(ContractData.Number(), "web-form", stores.Time.GetUtcNow());

        await registry.RecordAsync(org, consent, Ct);

        Assert.True(await registry.HasConsentAsync(org, consent.Number, Ct));
        Assert.Equal(consent, await registry.GetAsync(org, consent.Number, Ct));
        Assert.False(await registry.HasConsentAsync(ContractData.Organization(), consent.Number, Ct));
        Assert.Null(await registry.GetAsync(org, ContractData.Number(), Ct));
    }

    [Fact]
    public async Task A_revoked_consent_is_kept_as_an_opt_out()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<IConsentRegistry>();
        var org = ContractData.Organization();
        var consent = new ConsentRecord(ContractData.Number(), "web-form", stores.Time.GetUtcNow());
        await registry.RecordAsync(org, consent, Ct);
        Assert.True(await registry.HasConsentAsync(org, consent.Number, Ct));
        var at = stores.Time.GetUtcNow().AddMinutes(5);

        var revoked = await registry.RevokeAsync(org, consent.Number, at, Ct);

        Assert.Equal(consent with { OptedOutAt = at }, revoked);
        Assert.False(await registry.HasConsentAsync(org, consent.Number, Ct));
        Assert.Equal(revoked, await registry.GetAsync(org, consent.Number, Ct));
        Assert.Equal(revoked, await registry.RevokeAsync(org, consent.Number, at.AddMinutes(1), Ct));
        Assert.Null(await registry.RevokeAsync(org, ContractData.Number(), at, Ct));
    }

    [Fact]
    public async Task Consents_are_listed_in_number_order_a_page_at_a_time()
    {
        await using var stores = await CreateStoresAsync();
        var registry = stores.Get<IConsentRegistry>();
        var org = ContractData.Organization();
        string[] numbers = ["+15550000003", "+15550000001", "+15550000004", "+15550000002"];
        foreach (var number in numbers)
        {
            await registry.RecordAsync(org, new ConsentRecord(number, "import", stores.Time.GetUtcNow()), Ct);
        }

        var first = await registry.ListAsync(org, null, 3, Ct);
        var rest = await registry.ListAsync(org, first.Records[^1].Number, 3, Ct);

        Assert.Equal(["+15550000001", "+15550000002", "+15550000003"], first.Records.Select(r => r.Number));
        Assert.True(first.HasMore);
        Assert.Equal(["+15550000004"], rest.Records.Select(r => r.Number));
        Assert.False(rest.HasMore);
        Assert.Empty((await registry.ListAsync(ContractData.Organization(), null, 3, Ct)).Records);
    }
}
