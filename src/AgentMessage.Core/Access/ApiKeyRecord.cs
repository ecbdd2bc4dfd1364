namespace AgentMessage.Core.Access;

/// <summary>
/// A stored API key. Only the SHA-256 of the plaintext is kept: keys carry 190 bits of randomness,
/// so a fast hash is enough and lets every request find its key in one lookup.
/// </summary>
public sealed record ApiKeyRecord(
    string Id,
    string OrganizationId,
    string Hash,
    string Prefix,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt = null)
{
    public bool IsActive => RevokedAt is null;
}
