using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace AgentMessage.Server.Access;

/// <summary>The scopes an API key can carry (CONTRACT.md section 4).</summary>
public static class Scopes
{
    public const string MessagesSend = "messages:send";
    public const string MessagesRead = "messages:read";
    public const string ConsentsWrite = "consents:write";
    public const string LookupsRead = "lookups:read";

    public static readonly IReadOnlyList<string> All = [MessagesSend, MessagesRead, ConsentsWrite, LookupsRead];
}

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

/// <summary>The authenticated caller of one request: an API key of one organization.</summary>
public sealed record Caller(string OrganizationId, string KeyId, IReadOnlyList<string> Scopes);

public static class ApiKeyFormat
{
    public const string Prefix = "am_live_";

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new key: the prefix and 32 base62 characters from the system CSPRNG.</summary>
    public static string Generate() => Prefix + RandomNumberGenerator.GetString(Alphabet, 32);

    /// <summary>Whether the text has the shape of a key; anything else is refused before any lookup.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> key) =>
        key.Length is > 8 and <= 128 && key.StartsWith(Prefix, StringComparison.Ordinal) && !key[Prefix.Length..].ContainsAnyExcept(AlphabetValues);

    public static string Hash(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var length = Encoding.UTF8.GetBytes(key, utf8);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>The part of a key that may be shown again after creation, to tell keys apart.</summary>
    public static string DisplayPrefix(string key) => key[..Math.Min(key.Length, Prefix.Length + 6)];

    private static readonly System.Buffers.SearchValues<char> AlphabetValues = System.Buffers.SearchValues.Create(Alphabet);
}

public interface IApiKeyStore
{
    ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the key with this hash (a revocation is a put with RevokedAt set).</summary>
    ValueTask PutAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Every key of one organization, revoked ones included, in no particular order.</summary>
    ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>Revokes the key at <paramref name="at"/> if it is still active, atomically: of two
    /// concurrent revocations exactly one gets the revoked record back; the other, and a call for a
    /// key already revoked or unknown, gets null.</summary>
    ValueTask<ApiKeyRecord?> RevokeAsync(string hash, DateTimeOffset at, CancellationToken cancellationToken);
}

public sealed class InMemoryApiKeyStore : IApiKeyStore
{
    private readonly ConcurrentDictionary<string, ApiKeyRecord> byHash = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<ApiKeyRecord>> ListAsync(string organizationId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ApiKeyRecord>>([.. byHash.Values.Where(k => k.OrganizationId == organizationId)]);

    public ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(byHash.GetValueOrDefault(hash));

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
        return record is { IsActive: true } ? new Caller(record.OrganizationId, record.Id, record.Scopes) : null;
    }
}
