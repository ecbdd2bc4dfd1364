using AgentMessage.Core.Access;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IApiKeyStore"/>: keys found by hash, listed per organization, revoked once.</summary>
public abstract class ApiKeyStoreContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_key_is_found_by_its_hash_and_listed_with_its_organization()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IApiKeyStore>();
        var org = ContractData.Organization();
        var first = Key(org, stores.Time.GetUtcNow());
        var second = Key(org, stores.Time.GetUtcNow());

        await store.PutAsync(first, Ct);
        await store.PutAsync(second, Ct);

        Assert.Equivalent(first, await store.FindByHashAsync(first.Hash, Ct), strict: true);
        Assert.Equivalent(new[] { first, second }, await store.ListAsync(org, Ct), strict: true);
        Assert.Null(await store.FindByHashAsync("no-such-hash", Ct));
        Assert.Empty(await store.ListAsync(ContractData.Organization(), Ct));
    }

    [Fact]
    public async Task A_revoked_key_stays_found_as_revoked_and_is_revoked_once()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IApiKeyStore>();
        var key = Key(ContractData.Organization(), stores.Time.GetUtcNow());
        await store.PutAsync(key, Ct);
        Assert.True((await store.FindByHashAsync(key.Hash, Ct))!.IsActive);
        var at = stores.Time.GetUtcNow().AddHours(1);

        var revoked = await store.RevokeAsync(key.Hash, at, Ct);

        Assert.Equal(at, revoked!.RevokedAt);
        var found = await store.FindByHashAsync(key.Hash, Ct);
        Assert.False(found!.IsActive);
        Assert.Equal(at, found.RevokedAt);
        Assert.Null(await store.RevokeAsync(key.Hash, at.AddHours(1), Ct));
        Assert.Null(await store.RevokeAsync("no-such-hash", at, Ct));
    }

    [Fact]
    public async Task FindCurrent_answers_each_hash_in_order_with_its_revocation()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IApiKeyStore>();
        var org = ContractData.Organization();
        var active = Key(org, stores.Time.GetUtcNow());
        var revoked = Key(org, stores.Time.GetUtcNow());
        await store.PutAsync(active, Ct);
        await store.PutAsync(revoked, Ct);
        Assert.True((await store.FindByHashAsync(revoked.Hash, Ct))!.IsActive);

        await store.RevokeAsync(revoked.Hash, stores.Time.GetUtcNow(), Ct);
        var found = await store.FindCurrentAsync([revoked.Hash, "no-such-hash", active.Hash], Ct);

        Assert.Equal(3, found.Count);
        Assert.False(found[0]!.IsActive);
        Assert.Null(found[1]);
        Assert.Equivalent(active, found[2], strict: true);
    }

    private static ApiKeyRecord Key(string org, DateTimeOffset at)
    {
        var id = Guid.NewGuid().ToString("N");
        return new ApiKeyRecord(id, org, "hash-" + id, "am_live_" + id[..4], [Scopes.MessagesSend], at);
    }
}
