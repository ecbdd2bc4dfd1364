using System.Collections.Concurrent;
using AgentMessage.Core.Access;

namespace AgentMessage.Server.Infrastructure.InMemory.Access;

public sealed class InMemoryApiKeyStore : IApiKeyStore
{
    private readonly ConcurrentDictionary<string, ApiKeyRecord> byHash = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ApiKeyRecord>>([.. byHash.Values.Where(k => k.OrganizationId == organizationId)]);

    public ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(byHash.GetValueOrDefault(hash));

    public ValueTask<IReadOnlyList<ApiKeyRecord?>> FindCurrentAsync(IReadOnlyList<string> hashes, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ApiKeyRecord?>>([.. hashes.Select(byHash.GetValueOrDefault)]);

    public ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        byHash[key.Hash] = key;
        return ValueTask.CompletedTask;
    }

    public ValueTask<ApiKeyRecord?> RevokeAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        while (byHash.TryGetValue(hash, out var current) && current.IsActive)
        {
            var revoked = current with { RevokedAt = at };
            if (byHash.TryUpdate(hash, revoked, current))
            {
                return ValueTask.FromResult<ApiKeyRecord?>(revoked);
            }
        }

        return ValueTask.FromResult<ApiKeyRecord?>(null);
    }
}
