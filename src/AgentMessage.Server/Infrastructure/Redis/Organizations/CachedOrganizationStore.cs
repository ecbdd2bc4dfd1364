using AgentMessage.Core.Organizations;

namespace AgentMessage.Server.Infrastructure.Redis.Organizations;

public sealed class CachedOrganizationStore(RedisOrganizationStore inner, LocalCache cache) : IOrganizationStore
{
    public ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("org", organizationId), (inner, organizationId), static (s, token) => s.inner.GetAsync(s.organizationId, token), cancellationToken);

    public async ValueTask PutAsync(Organization organization, CancellationToken cancellationToken)
    {
        await inner.PutAsync(organization, cancellationToken);
        cache.Forget(("org", organization.Id));
    }

    public ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) => inner.ListIdsAsync(cancellationToken);
}
