using AgentMessage.Server.Compliance;

namespace AgentMessage.Server.Redis;

public sealed class RedisConsentRegistry(RedisGate redis) : IConsentRegistry
{
    public async ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<ConsentRecord>(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Consents(organizationId), number))) is { IsGranted: true };

    public async ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.HashSetAsync(RedisKeys.Consents(organizationId), consent.Number, RedisJson.Serialize(consent)));
}

public sealed class RedisLineTypeRegistry(RedisGate redis) : ILineTypeRegistry
{
    public async ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<LineTypeLookup>(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Lookups(organizationId), number)));

    public async ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.HashSetAsync(RedisKeys.Lookups(organizationId), lookup.Number, RedisJson.Serialize(lookup)));
}

public sealed class CachedConsentRegistry(RedisConsentRegistry inner, LocalCache cache) : IConsentRegistry
{
    public ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("consent", organizationId, number), () => inner.HasConsentAsync(organizationId, number, cancellationToken));

    public async ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken)
    {
        await inner.RecordAsync(organizationId, consent, cancellationToken);
        cache.Forget(("consent", organizationId, consent.Number));
    }
}

public sealed class CachedLineTypeRegistry(RedisLineTypeRegistry inner, LocalCache cache) : ILineTypeRegistry
{
    public ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("lookup", organizationId, number), () => inner.GetAsync(organizationId, number, cancellationToken));

    public async ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken)
    {
        await inner.RecordAsync(organizationId, lookup, cancellationToken);
        cache.Forget(("lookup", organizationId, lookup.Number));
    }
}
