using AgentMessage.Core.Access;

namespace AgentMessage.Server.Infrastructure.Redis.Access;

public sealed class CachedApiKeyStore(RedisApiKeyStore inner, LocalCache cache) : IApiKeyStore
{
    public ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("apikey", hash), (inner, hash), static (s, token) => s.inner.FindByHashAsync(s.hash, token), cancellationToken);

    /// <summary>Reads Redis itself: the cache is what this check must not trust.</summary>
    public ValueTask<IReadOnlyList<ApiKeyRecord?>> FindCurrentAsync(IReadOnlyList<string> hashes, CancellationToken cancellationToken) =>
        inner.FindCurrentAsync(hashes, cancellationToken);

    public async ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await inner.PutAsync(key, cancellationToken);
        cache.Forget(("apikey", key.Hash));
    }

    /// <summary>Operator listings read Redis itself, never the cache.</summary>
    public ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        inner.ListAsync(organizationId, cancellationToken);

    public async ValueTask<ApiKeyRecord?> RevokeAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var revoked = await inner.RevokeAsync(hash, at, cancellationToken);
        cache.Forget(("apikey", hash));
        return revoked;
    }
}
