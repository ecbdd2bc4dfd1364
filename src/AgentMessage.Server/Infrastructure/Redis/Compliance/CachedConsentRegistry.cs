using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.Redis.Compliance;

public sealed class CachedConsentRegistry(RedisConsentRegistry inner, LocalCache cache) : IConsentRegistry
{
    public ValueTask<bool> HasConsentAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("consent", organizationId, number), (inner, organizationId, number), static (s, token) => s.inner.HasConsentAsync(s.organizationId, s.number, token), cancellationToken);

    public async ValueTask RecordAsync(string organizationId, ConsentRecord consent, CancellationToken cancellationToken)
    {
        await inner.RecordAsync(organizationId, consent, cancellationToken);
        cache.Forget(("consent", organizationId, consent.Number));
    }

    // Reads for the API are never served from the cache: only the send path's check is.
    public ValueTask<ConsentRecord?> GetAsync(string organizationId, string number, CancellationToken cancellationToken) =>
        inner.GetAsync(organizationId, number, cancellationToken);

    public ValueTask<ConsentPage> ListAsync(string organizationId, string? afterNumber, int limit, CancellationToken cancellationToken) =>
        inner.ListAsync(organizationId, afterNumber, limit, cancellationToken);

    public async ValueTask<ConsentRecord?> RevokeAsync(string organizationId, string number, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var revoked = await inner.RevokeAsync(organizationId, number, at, cancellationToken);
        cache.Forget(("consent", organizationId, number));
        return revoked;
    }
}
