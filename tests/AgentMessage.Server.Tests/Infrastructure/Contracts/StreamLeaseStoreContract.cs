using AgentMessage.Core.Delivery;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IStreamLeaseStore"/>: open streams counted per key and per organization,
/// freed by release or by expiry, kept by renewal.</summary>
public abstract class StreamLeaseStoreContract
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Leases_are_taken_up_to_the_key_cap_and_the_organization_cap()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IStreamLeaseStore>();
        var org = ContractData.Organization();
        var now = stores.Time.GetUtcNow();

        Assert.Null(await store.TryAcquireAsync(Lease(org, "key_a"), 2, 3, now, now + Lifetime, Ct));
        Assert.Null(await store.TryAcquireAsync(Lease(org, "key_a"), 2, 3, now, now + Lifetime, Ct));
        Assert.Equal(StreamCap.Key, await store.TryAcquireAsync(Lease(org, "key_a"), 2, 3, now, now + Lifetime, Ct));
        Assert.Null(await store.TryAcquireAsync(Lease(org, "key_b"), 2, 3, now, now + Lifetime, Ct));
        Assert.Equal(StreamCap.Organization, await store.TryAcquireAsync(Lease(org, "key_c"), 2, 3, now, now + Lifetime, Ct));
        Assert.Null(await store.TryAcquireAsync(Lease(ContractData.Organization(), "key_a"), 2, 3, now, now + Lifetime, Ct));
    }

    [Fact]
    public async Task A_released_lease_frees_its_place_in_both_counts()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IStreamLeaseStore>();
        var org = ContractData.Organization();
        var now = stores.Time.GetUtcNow();
        var held = Lease(org, "key_a");
        Assert.Null(await store.TryAcquireAsync(held, 1, 1, now, now + Lifetime, Ct));
        Assert.Equal(StreamCap.Key, await store.TryAcquireAsync(Lease(org, "key_a"), 1, 1, now, now + Lifetime, Ct));

        await store.ReleaseAsync(held, Ct);

        Assert.Null(await store.TryAcquireAsync(Lease(org, "key_b"), 1, 1, now, now + Lifetime, Ct));
    }

    [Fact]
    public async Task An_expired_lease_stops_counting_and_a_renewed_one_keeps_counting()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IStreamLeaseStore>();
        var org = ContractData.Organization();
        var now = stores.Time.GetUtcNow();
        var renewed = Lease(org, "key_renewed");
        var abandoned = Lease(org, "key_abandoned");
        Assert.Null(await store.TryAcquireAsync(renewed, 1, 10, now, now + Lifetime, Ct));
        Assert.Null(await store.TryAcquireAsync(abandoned, 1, 10, now, now + Lifetime, Ct));

        await store.RenewAsync([renewed], now + Lifetime + Lifetime, Ct);
        var later = now + Lifetime;

        Assert.Equal(StreamCap.Key, await store.TryAcquireAsync(Lease(org, "key_renewed"), 1, 10, later, later + Lifetime, Ct));
        Assert.Null(await store.TryAcquireAsync(Lease(org, "key_abandoned"), 1, 10, later, later + Lifetime, Ct));
    }

    [Fact]
    public async Task Renewing_a_released_lease_does_not_bring_it_back()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IStreamLeaseStore>();
        var org = ContractData.Organization();
        var now = stores.Time.GetUtcNow();
        var held = Lease(org, "key_a");
        Assert.Null(await store.TryAcquireAsync(held, 1, 1, now, now + Lifetime, Ct));

        await store.ReleaseAsync(held, Ct);
        await store.RenewAsync([held], now + Lifetime, Ct);

        Assert.Null(await store.TryAcquireAsync(Lease(org, "key_a"), 1, 1, now, now + Lifetime, Ct));
    }

    private static StreamLease Lease(string org, string keyId) => new(org, keyId, Guid.NewGuid().ToString("N"));
}
