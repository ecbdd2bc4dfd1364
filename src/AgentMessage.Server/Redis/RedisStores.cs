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

    /// <summary>The key and the organization's index of keys are in different slots, so they cannot change
    /// in one transaction. The index is written first: an interruption between the two leaves an index
    /// entry without a key, which listings skip, never a working key that no listing shows and so no
    /// operator can revoke.</summary>
    public async ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.ApiKeysOf(key.OrganizationId), key.Hash));
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.ApiKey(key.Hash), RedisJson.Serialize(key)));
    }

    /// <summary>Compare-and-set on the stored JSON: the write happens only if the key still holds the
    /// exact value read (a WATCH-style transaction condition), else it reads again.</summary>
    public async ValueTask<ApiKeyRecord?> RevokeAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            var key = RedisKeys.ApiKey(hash);
            while (true)
            {
                var raw = await db.StringGetAsync(key);
                if (RedisJson.Deserialize<ApiKeyRecord>(raw) is not { IsActive: true } current)
                {
                    return null;
                }

                var revoked = current with { RevokedAt = at };
                var transaction = db.CreateTransaction();
                transaction.AddCondition(Condition.StringEqual(key, raw));
                _ = transaction.StringSetAsync(key, RedisJson.Serialize(revoked));
                if (await transaction.ExecuteAsync())
                {
                    return revoked;
                }
            }
        });

    /// <summary>The organization's set of key hashes, then each key (each in its own slot, so one GET each, pipelined).</summary>
    public async ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        await redis.RunAsync<IReadOnlyList<ApiKeyRecord>>(async db =>
        {
            var hashes = await db.SetMembersAsync(RedisKeys.ApiKeysOf(organizationId));
            var values = await Task.WhenAll(hashes.Select(h => db.StringGetAsync(RedisKeys.ApiKey((string)h!))));
            return [.. values.Select(v => RedisJson.Deserialize<ApiKeyRecord>(v)).OfType<ApiKeyRecord>().Where(k => k.OrganizationId == organizationId)];
        });
}

public sealed class RedisOrganizationStore(RedisGate redis) : IOrganizationStore
{
    public async ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<Organization>(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.Organization(organizationId))));

    /// <summary>Index first, as for keys: an interrupted create leaves an id that listings skip, never an
    /// organization that no listing shows.</summary>
    public async ValueTask PutAsync(Organization organization, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.Organizations, organization.Id));
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.Organization(organization.Id), RedisJson.Serialize(organization)));
    }

    public async ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) =>
        await redis.RunAsync<IReadOnlyList<string>>(async db => [.. (await db.SetMembersAsync(RedisKeys.Organizations)).Select(v => (string)v!)]);
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
