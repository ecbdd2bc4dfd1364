using AgentMessage.Server.Access;
using AgentMessage.Server.Compliance;
using AgentMessage.Server.Media;
using AgentMessage.Server.Organizations;
using StackExchange.Redis;

namespace AgentMessage.Server.Redis;

public sealed class RedisApiKeyStore(RedisGate redis) : IApiKeyStore
{
    public async ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<ApiKeyRecord>(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.ApiKey(hash))));

    public async ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.ApiKey(key.Hash), RedisJson.Serialize(key)));
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.ApiKeysOf(key.OrganizationId), key.Hash));
    }
}

public sealed class RedisOrganizationStore(RedisGate redis) : IOrganizationStore
{
    public async ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<Organization>(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.Organization(organizationId))));

    public async ValueTask PutAsync(Organization organization, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.Organization(organization.Id), RedisJson.Serialize(organization)));
}

public sealed class RedisNumberRegistry(RedisGate redis) : INumberRegistry
{
    public async ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.SetContainsAsync(RedisKeys.Numbers(organizationId), number));

    public async ValueTask AddAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.Numbers(organizationId), number));
}

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

/// <summary>Media records, each expiring in Redis when the media does.</summary>
public sealed class RedisMediaCatalog(RedisGate redis, TimeProvider time) : IMediaCatalog
{
    public async ValueTask PutAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        var ttl = media.ExpiresAt - time.GetUtcNow();
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.Media(media.OrganizationId, media.Id), MediaJson.Serialize(media), ttl));
    }

    public async ValueTask<MediaRecord?> GetAsync(string organizationId, string mediaId, CancellationToken cancellationToken) =>
        MediaJson.Deserialize(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.Media(organizationId, mediaId))));
}
