using System.Collections.Concurrent;
using AgentMessage.Core.Organizations;

namespace AgentMessage.Server.Infrastructure.InMemory.Organizations;

public sealed class InMemoryOrganizationStore : IOrganizationStore
{
    private readonly ConcurrentDictionary<string, Organization> organizations = new(StringComparer.Ordinal);

    public ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(organizations.GetValueOrDefault(organizationId));

    public ValueTask PutAsync(Organization organization, CancellationToken cancellationToken)
    {
        organizations[organization.Id] = organization;
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. organizations.Keys]);
}
