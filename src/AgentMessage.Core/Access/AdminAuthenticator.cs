using System.Security.Cryptography;
using System.Text;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Access;

/// <summary>
/// Checks the operator's bearer token for RPCs marked <c>admin_only</c>. API keys never pass here,
/// and the admin token never passes as an API key. While no token is configured, the operator API
/// answers NOT_FOUND, as if it did not exist.
/// </summary>
public sealed class AdminAuthenticator(IOptions<AdminOptions> options)
{
    public void Authenticate(string? authorization)
    {
        var token = options.Value.Token;
        if (string.IsNullOrEmpty(token))
        {
            throw new RefusalException(RefusalKind.NotFound, "not found");
        }

        const string Scheme = "Bearer ";
        var presented = authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[Scheme.Length..].Trim()
            : string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(token))))
        {
            throw new RefusalException(RefusalKind.Unauthorized);
        }
    }
}
