using AgentMessage.Core.Organizations;

namespace AgentMessage.Server.Infrastructure.Redis.Organizations;

public sealed class RedisOrganizationStore(RedisGate redis) : IOrganizationStore
{
    public async ValueTask<Organization?> GetAsync(string organizationId, CancellationToken cancellationToken) =>
        RedisJson.Deserialize<Organization>(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.Organization(organizationId))));

    /// <summary>Index first, as for keys: an interrupted create leaves an id that listings skip, never an
    /// organization that no listing shows.</summary>
    public async ValueTask PutAsync(Organization organization, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.Organizations, organization.Id));
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.Organization(organization.Id), RedisJson.Serialize(organization)));
    }

    public async ValueTask<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken) =>
        await redis.RunAsync<IReadOnlyList<string>>(async db => [.. (await db.SetMembersAsync(RedisKeys.Organizations)).Select(v => (string)v!)]);
}
