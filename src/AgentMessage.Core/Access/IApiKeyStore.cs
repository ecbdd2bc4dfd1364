namespace AgentMessage.Core.Access;

public interface IApiKeyStore
{
    ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken);

    /// <summary>The keys with these hashes as the store holds them now, never from a cache (a check
    /// that must see a revocation within the staleness bound), in the order given; null where none.</summary>
    ValueTask<IReadOnlyList<ApiKeyRecord?>> FindCurrentAsync(IReadOnlyList<string> hashes, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the key with this hash (a revocation is a put with RevokedAt set).</summary>
    ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Every key of one organization, revoked ones included, in no particular order.</summary>
    ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>Revokes the key at <paramref name="at"/> if it is still active, atomically: of two
    /// concurrent revocations exactly one gets the revoked record back; the other, and a call for a
    /// key already revoked or unknown, gets null.</summary>
    ValueTask<ApiKeyRecord?> RevokeAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken);
}
