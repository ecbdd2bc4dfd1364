using AgentMessage.Core.Access;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Access;

public sealed class RedisApiKeyStore(RedisGate redis) : IApiKeyStore
{
    public async ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<ApiKeyRecord>(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.ApiKey(hash))));

    /// <summary>One GET per key (each in its own slot), pipelined.</summary>
    public async ValueTask<IReadOnlyList<ApiKeyRecord?>> FindCurrentAsync(IReadOnlyList<string> hashes, CancellationToken cancellationToken) =>
        await redis.RunAsync<IReadOnlyList<ApiKeyRecord?>>(async db =>
        {
            var values = await Task.WhenAll(hashes.Select(h => db.StringGetAsync(RedisKeys.ApiKey(h))));
            return [.. values.Select(v => RedisJson.Deserialize<ApiKeyRecord>(v))];
        });

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
