using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

public sealed class CachedLineTypeRegistry(RedisLineTypeRegistry inner, LocalCache cache) : ILineTypeRegistry
{
    public ValueTask<LineTypeLookup?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("lookup", organizationId, number), (inner, organizationId, number), static (s, token) => s.inner.GetAsync(s.organizationId, s.number, token), cancellationToken);

    public async ValueTask RecordAsync(string organizationId, LineTypeLookup lookup, CancellationToken cancellationToken)
    {
        await inner.RecordAsync(organizationId, lookup, cancellationToken);
        cache.Forget(("lookup", organizationId, lookup.Number));
    }
}
