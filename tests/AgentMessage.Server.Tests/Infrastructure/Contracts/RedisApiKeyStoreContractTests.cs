using AgentMessage.Core.Access;
using AgentMessage.Server.Infrastructure.Redis.Access;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

public sealed class RedisApiKeyStoreContractTests(RedisFixture redis) : ApiKeyStoreContract, IClassFixture<RedisFixture>
{
    [Fact]
    public async Task FindCurrent_sees_a_revocation_this_instance_has_cached_as_active()
    {
        await using var stores = await CreateStoresAsync();
        var cached = stores.Get<IApiKeyStore>();
        var key = new ApiKeyRecord("key_" + Guid.NewGuid().ToString("N"), ContractData.Organization(), "hash-" + Guid.NewGuid().ToString("N"), "am_live_abcd", [Scopes.MessagesRead], stores.Time.GetUtcNow());
        await cached.PutAsync(key, TestContext.Current.CancellationToken);
        Assert.True((await cached.FindByHashAsync(key.Hash, TestContext.Current.CancellationToken))!.IsActive);

        // As another instance revokes it: in Redis, without touching this instance's cache.
        await stores.Get<RedisApiKeyStore>().RevokeAsync(key.Hash, stores.Time.GetUtcNow(), TestContext.Current.CancellationToken);

        Assert.True((await cached.FindByHashAsync(key.Hash, TestContext.Current.CancellationToken))!.IsActive);
        Assert.False(Assert.Single(await cached.FindCurrentAsync([key.Hash], TestContext.Current.CancellationToken))!.IsActive);
    }

    protected override async Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null)
    {
        await redis.Server.FlushAsync();
        return StoreHarness.Redis(redis.Server.Configuration, settings);
    }
}
