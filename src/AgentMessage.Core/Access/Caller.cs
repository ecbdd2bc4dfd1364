namespace AgentMessage.Core.Access;

/// <summary>The authenticated caller of one request: an API key of one organization.
/// <see cref="KeyHash"/> finds the key again (a long-lived stream checks that it is still active);
/// like the plaintext, it is never logged or shown.</summary>
public sealed record Caller(string OrganizationId, string KeyId, IReadOnlyList<string> Scopes, string KeyHash)
{
    /// <summary>Leaves the key hash out, should a caller ever be formatted.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("OrganizationId = ").Append(OrganizationId).Append(", KeyId = ").Append(KeyId);
        return true;
    }
}
