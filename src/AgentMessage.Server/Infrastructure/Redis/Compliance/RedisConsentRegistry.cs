using AgentMessage.Core.Compliance;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

public sealed class RedisConsentRegistry(RedisGate redis) : IConsentRegistry
{
    public async ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<ConsentRecord>(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Consents(organizationId), number))) is { IsGranted: true };

    /// <summary>The record and its index entry in one MULTI (both keys share the organization's slot).</summary>
    public async ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken) =>
        await redis.RunAsync(async db =>
        {
            var transaction = db.CreateTransaction();
            _ = transaction.HashSetAsync(RedisKeys.Consents(organizationId), consent.Number, RedisJson.Serialize(consent));
            _ = transaction.SortedSetAddAsync(RedisKeys.ConsentIndex(organizationId), consent.Number, 0);
            return await transaction.ExecuteAsync();
        });

    public async ValueTask<ConsentRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<ConsentRecord>(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Consents(organizationId), number)));

    /// <summary>ZRANGEBYLEX over the index after the cursor, then one HMGET of the page.</summary>
    public async ValueTask<ConsentPage> ListAsync(string organizationId, string? afterNumber, int limit, CancellationToken cancellationToken)
    {
        var numbers = await redis.RunAsync(db => db.SortedSetRangeByValueAsync(
            RedisKeys.ConsentIndex(organizationId),
            min: afterNumber is null ? default : (RedisValue)afterNumber,
            exclude: afterNumber is null ? Exclude.None : Exclude.Start,
            take: limit + 1));
        var page = numbers.Take(limit).ToArray();
        if (page.Length == 0)
        {
            return new ConsentPage([], false);
        }

        var values = await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Consents(organizationId), page));
        var records = values.Select(v => RedisJson.Deserialize<ConsentRecord>(v)).OfType<ConsentRecord>().ToList();
        return new ConsentPage(records, numbers.Length > limit);
    }

    /// <summary>Optimistic: the opt-out is written only if the record is still the one read (WATCH-like HashEqual condition).</summary>
    public async ValueTask<ConsentRecord?> RevokeAsync(string organizationId, string number, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var key = RedisKeys.Consents(organizationId);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stored = await redis.RunAsync(db => db.HashGetAsync(key, number));
            if (RedisJson.Deserialize<ConsentRecord>(stored) is not { } current)
            {
                return null;
            }

            var revoked = current.OptedOut(at);
            if (ReferenceEquals(revoked, current))
            {
                return current;
            }

            var committed = await redis.RunAsync(async db =>
            {
                var transaction = db.CreateTransaction();
                transaction.AddCondition(Condition.HashEqual(key, number, stored));
                _ = transaction.HashSetAsync(key, number, RedisJson.Serialize(revoked));
                return await transaction.ExecuteAsync();
            });
            if (committed)
            {
                return revoked;
            }
        }
    }
}
