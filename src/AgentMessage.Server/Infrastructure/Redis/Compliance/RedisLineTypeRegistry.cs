using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

public sealed class RedisLineTypeRegistry(RedisGate redis) : ILineTypeRegistry
{
    public async ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<LineTypeLookup>(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Lookups(organizationId), number)));

    public async ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.HashSetAsync(RedisKeys.Lookups(organizationId), lookup.Number, RedisJson.Serialize(lookup)));
}
