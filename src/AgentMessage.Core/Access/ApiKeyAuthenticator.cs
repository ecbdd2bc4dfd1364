namespace AgentMessage.Core.Access;

/// <summary>Turns the bearer credential of a request into a <see cref="Caller"/>, or null.</summary>
public sealed class ApiKeyAuthenticator(IApiKeyStore keys)
{
    public async ValueTask<Caller?> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = authorization.AsSpan(Scheme.Length).Trim();
        if (!ApiKeyFormat.IsWellFormed(key))
        {
            return null;
        }

        var record = await keys.FindByHashAsync(ApiKeyFormat.Hash(key), cancellationToken);
        return record is { IsActive: true } ? new Caller(record.OrganizationId, record.Id, record.Scopes, record.Hash) : null;
    }
}
