namespace AgentMessage.Core.Access;

/// <summary>The authenticated caller of one request: an API key of one organization.</summary>
public sealed record Caller(string OrganizationId, string KeyId, IReadOnlyList<string> Scopes);
