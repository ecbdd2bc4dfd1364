using System.Security.Cryptography;
using System.Text;

namespace AgentMessage.Core.Access;

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
