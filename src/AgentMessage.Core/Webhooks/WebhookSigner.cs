using System.Security.Cryptography;
using System.Text;

namespace AgentMessage.Core.Webhooks;

/// <summary>
/// Standard Webhooks signatures: <c>v1,</c> + base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>,
/// keyed by the base64-decoded part of the secret after <c>whsec_</c>; one per signing secret,
/// space-separated.
/// </summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    /// <summary>Bytes of key material in a new secret.</summary>
    public const int SecretBytes = 32;

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>The webhook-signature header value for a delivery.</summary>
    public static string Sign(IReadOnlyList<string> secrets, string eventId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{eventId}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));

        var header = new StringBuilder();
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(KeyOf(secret), signed, mac);
            if (header.Length > 0)
            {
                header.Append(' ');
            }

            header.Append("v1,").Append(Convert.ToBase64String(mac));
        }

        return header.ToString();
    }

    private static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
}
