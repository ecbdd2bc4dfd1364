namespace AgentMessage.Core.Organizations;

public interface IOrganizationStore
{
    ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the organization with this id.</summary>
    ValueTask PutAsync(Organization organization, CancellationToken cancellationToken);

    /// <summary>Every organization's id, in no particular order (operator listings).</summary>
    ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken);
}
