using System.Collections.Concurrent;
using AgentMessage.Server.RateLimiting;

namespace AgentMessage.Server.Organizations;

/// <summary>A customer. Rate limits left null fall back to the configured defaults.</summary>
public sealed record Organization(
    string Id,
    string Name,
    RateLimitPolicy? SendLimit = null,
    RateLimitPolicy? MediaUploadLimit = null,
    bool MmsEnabled = true)
{
    public RateLimitPolicy? LimitFor(RateLimitedOperation operation) => operation switch
    {
        RateLimitedOperation.Send => SendLimit,
        RateLimitedOperation.MediaUpload => MediaUploadLimit,
        _ => null,
    };
}

public interface IOrganizationStore
{
    ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the organization with this id.</summary>
    ValueTask PutAsync(Organization organization, CancellationToken cancellationToken);

    /// <summary>Every organization's id, in no particular order (operator listings).</summary>
    ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken);
}

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
