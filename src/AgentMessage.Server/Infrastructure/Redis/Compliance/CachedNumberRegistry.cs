using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

/// <summary>
/// Ownership and pace from this instance's cache; a change made here is forgotten here at once,
/// other instances see it within the local cache TTL.
/// </summary>
public sealed class CachedNumberRegistry(RedisNumberRegistry inner, LocalCache cache) : INumberRegistry
{
    public ValueTask<bool> IsOwnedAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("number", organizationId, number), (inner, organizationId, number), static (s, token) => s.inner.IsOwnedAsync(s.organizationId, s.number, token), cancellationToken);

    public async ValueTask<bool> AddAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var claimed = await inner.AddAsync(organizationId, number, cancellationToken);
        Forget(organizationId, number);
        return claimed;
    }

    public async ValueTask<bool> PutAsync(string organizationId, OwnedNumberRecord number, CancellationToken cancellationToken)
    {
        var claimed = await inner.PutAsync(organizationId, number, cancellationToken);
        Forget(organizationId, number.Number);
        return claimed;
    }

    public async ValueTask<bool> RemoveAsync(string organizationId, string number, CancellationToken cancellationToken)
    {
        var removed = await inner.RemoveAsync(organizationId, number, cancellationToken);
        Forget(organizationId, number);
        return removed;
    }

    public ValueTask<OwnedNumberRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("owned-number", organizationId, number), (inner, organizationId, number), static (s, token) => s.inner.GetAsync(s.organizationId, s.number, token), cancellationToken);

    /// <summary>Operator listings read Redis itself, never the cache.</summary>
    public ValueTask<IReadOnlyList<OwnedNumberRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        inner.ListAsync(organizationId, cancellationToken);

    private void Forget(string organizationId, string number)
    {
        cache.Forget(("number", organizationId, number));
        cache.Forget(("owned-number", organizationId, number));
    }

    public ValueTask<string?> FindOwnerAsync(string number, CancellationToken cancellationToken) => inner.FindOwnerAsync(number, cancellationToken);
}
