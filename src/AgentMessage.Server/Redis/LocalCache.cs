using AgentMessage.Server.Access;
using AgentMessage.Server.Compliance;
using AgentMessage.Server.Organizations;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Redis;

/// <summary>
/// This instance's short-lived copies of what every send reads (key, organization, number, consent,
/// lookup), so that an accepted send reads nothing from Redis. An entry lives at most
/// <see cref="RedisOptions.LocalCacheTtl"/>, which bounds how stale any instance can be; absent
/// records are remembered too, so a flood of unknown keys does not become a flood of Redis reads.
/// </summary>
public sealed class LocalCache(IOptions<RedisOptions> options) : IDisposable
{
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    public async ValueTask<T> GetOrLoadAsync<T>(object key, Func<ValueTask<T>> load)
    {
        if (cache.TryGetValue(key, out var cached))
        {
            return (T)cached!;
        }

        var value = await load();
        cache.Set(key, value, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.Value.LocalCacheTtl });
        return value;
    }

    /// <summary>Drops this instance's copy after it changed the record itself.</summary>
    public void Forget(object key) => cache.Remove(key);

    public void Dispose() => cache.Dispose();
}

public sealed class CachedApiKeyStore(RedisApiKeyStore inner, LocalCache cache) : IApiKeyStore
{
    public ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("apikey", hash), () => inner.FindByHashAsync(hash, cancellationToken));

    public async ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await inner.PutAsync(key, cancellationToken);
        cache.Forget(("apikey", key.Hash));
    }

    /// <summary>Operator listings read Redis itself, never the cache.</summary>
    public ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        inner.ListAsync(organizationId, cancellationToken);
}

public sealed class CachedOrganizationStore(RedisOrganizationStore inner, LocalCache cache) : IOrganizationStore
{
    public ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("org", organizationId), () => inner.GetAsync(organizationId, cancellationToken));

    public async ValueTask PutAsync(Organization organization, CancellationToken cancellationToken)
    {
        await inner.PutAsync(organization, cancellationToken);
        cache.Forget(("org", organization.Id));
    }

    public ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) => inner.ListIdsAsync(cancellationToken);
}
