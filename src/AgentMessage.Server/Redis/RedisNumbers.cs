using AgentMessage.Server.Compliance;

namespace AgentMessage.Server.Redis;

public sealed class RedisNumberRegistry(RedisGate redis) : INumberRegistry
{
    public async ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.SetContainsAsync(RedisKeys.Numbers(organizationId), number));

    public async ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.Numbers(organizationId), number));
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.NumberOwner(number), organizationId));
    }

    public async ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.StringGetAsync(RedisKeys.NumberOwner(number))) is { HasValue: true } owner ? owner.ToString() : null;
}

public sealed class CachedNumberRegistry(RedisNumberRegistry inner, LocalCache cache) : INumberRegistry
{
    public ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("number", organizationId, number), () => inner.IsOwnedAsync(organizationId, number, cancellationToken));

    public async ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        await inner.AddAsync(organizationId, number, cancellationToken);
        cache.Forget(("number", organizationId, number));
    }

    public ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken) => inner.FindOwnerAsync(number, cancellationToken);
}
