using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace AgentMessage.Client.Webhooks;

/// <summary>What a verified webhook request said about itself.</summary>
/// <param name="Id">The <c>webhook-id</c>: the same on every retry of one delivery, so a receiver can drop repeats.</param>
/// <param name="Timestamp">The <c>webhook-timestamp</c>: when this attempt was signed.</param>
public sealed record WebhookMessage(string Id, DateTimeOffset Timestamp);

/// <summary>
/// Verifies webhook requests per the Standard Webhooks specification, as AgentMessage signs them:
/// headers <c>webhook-id</c>, <c>webhook-timestamp</c> (unix seconds) and <c>webhook-signature</c>
/// (space-separated <c>v1,&lt;base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"&gt;</c>, keyed with the
/// base64-decoded secret after <c>whsec_</c>). A request is accepted when any of its signatures
/// matches any configured secret (compared in constant time) and its timestamp is within the
/// tolerance of this machine's clock, either way. Give it the body exactly as received, before any
/// JSON parsing. Configure the current and the previous secret while rotating. Thread-safe.
/// </summary>
public sealed class WebhookVerifier
{
    /// <summary>The header carrying the delivery id.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header carrying the signing time in unix seconds.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header carrying the signatures.</summary>
    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";
    private const string SignatureVersion = "v1";

    private readonly byte[][] keys;
    private readonly TimeSpan tolerance;
    private readonly TimeProvider time;

    /// <summary>A verifier for one secret, with the default 5-minute tolerance.</summary>
    /// <param name="secret">The endpoint's signing secret (<c>whsec_...</c>).</param>
    /// <exception cref="ArgumentException">The secret is not <c>whsec_</c> followed by base64.</exception>
    public WebhookVerifier(string secret)
        : this([secret])
    {
    }

    /// <summary>A verifier accepting signatures by any of <paramref name="secrets"/> (rotation).</summary>
    /// <param name="secrets">The signing secrets (<c>whsec_...</c>), e.g. the new and the previous one.</param>
    /// <param name="tolerance">How far the timestamp may be from now, either way; null: <see cref="DefaultTolerance"/>.</param>
    /// <param name="timeProvider">The clock the timestamp is checked against; null: the system clock.</param>
    /// <exception cref="ArgumentException">No secret, a malformed secret, or a negative tolerance.</exception>
    public WebhookVerifier(IEnumerable<string> secrets, TimeSpan? tolerance = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        keys = [.. secrets.Select(KeyOf)];
        if (keys.Length == 0)
        {
            throw new ArgumentException("At least one webhook secret is required.", nameof(secrets));
        }

        this.tolerance = tolerance ?? DefaultTolerance;
        if (this.tolerance < TimeSpan.Zero)
        {
            throw new ArgumentException("The tolerance must not be negative.", nameof(tolerance));
        }

        time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The default timestamp tolerance: 5 minutes, as the specification recommends.</summary>
    public static TimeSpan DefaultTolerance { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Verifies a request from ASP.NET Core (<c>Request.Headers</c>, an <c>IHeaderDictionary</c>).</summary>
    /// <param name="headers">The request headers.</param>
    /// <param name="body">The raw request body.</param>
    /// <returns>The delivery's id and timestamp.</returns>
    /// <exception cref="WebhookVerificationException">The request is not proven authentic.</exception>
    public WebhookMessage Verify(IEnumerable<KeyValuePair<string, StringValues>> headers, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return Verify(name => Find(headers, name) is { Count: > 0 } values ? values.ToString() : null, body);
    }

    /// <summary>Verifies a request read with <see cref="System.Net.Http"/> types.</summary>
    /// <param name="headers">The request headers.</param>
    /// <param name="body">The raw request body.</param>
    /// <returns>The delivery's id and timestamp.</returns>
    /// <exception cref="WebhookVerificationException">The request is not proven authentic.</exception>
    public WebhookMessage Verify(HttpHeaders headers, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return Verify(name => headers.TryGetValues(name, out var values) ? string.Join(',', values) : null, body);
    }

    /// <summary>Verifies a request whose headers are plain name-value pairs (names compared case-insensitively).</summary>
    /// <param name="headers">The request headers.</param>
    /// <param name="body">The raw request body.</param>
    /// <returns>The delivery's id and timestamp.</returns>
    /// <exception cref="WebhookVerificationException">The request is not proven authentic.</exception>
    public WebhookMessage Verify(IEnumerable<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return Verify(name => Find(headers, name), body);
    }

    /// <summary>Verifies a request whose body was read as text (UTF-8 is what was signed).</summary>
    /// <param name="headers">The request headers.</param>
    /// <param name="body">The request body as received.</param>
    /// <returns>The delivery's id and timestamp.</returns>
    /// <exception cref="WebhookVerificationException">The request is not proven authentic.</exception>
    public WebhookMessage Verify(IEnumerable<KeyValuePair<string, string>> headers, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Verify(headers, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Verifies a request whose headers are read through <paramref name="header"/>.</summary>
    /// <param name="header">Returns a header's value by name (<c>webhook-id</c>, ...), or null when absent.</param>
    /// <param name="body">The raw request body.</param>
    /// <returns>The delivery's id and timestamp.</returns>
    /// <exception cref="WebhookVerificationException">The request is not proven authentic.</exception>
    public WebhookMessage Verify(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        var id = header(IdHeader);
        var timestampText = header(TimestampHeader);
        var signatures = header(SignatureHeader);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestampText) || string.IsNullOrEmpty(signatures))
        {
            throw new WebhookVerificationException($"missing required headers: {IdHeader}, {TimestampHeader} and {SignatureHeader} are all needed");
        }

        if (!long.TryParse(timestampText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            || seconds < DateTimeOffset.MinValue.ToUnixTimeSeconds() || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new WebhookVerificationException($"invalid {TimestampHeader}: unix seconds expected");
        }

        var timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var now = time.GetUtcNow();
        if (timestamp < now - tolerance)
        {
            throw new WebhookVerificationException("message timestamp too old");
        }

        if (timestamp > now + tolerance)
        {
            throw new WebhookVerificationException("message timestamp too new");
        }

        var content = SignedContent(id, timestampText, body);
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes + 3];
        foreach (var key in keys)
        {
            HMACSHA256.HashData(key, content, expected);
            foreach (var versioned in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var comma = versioned.IndexOf(',', StringComparison.Ordinal);
                if (comma < 0 || !versioned.AsSpan(0, comma).SequenceEqual(SignatureVersion)
                    || !Convert.TryFromBase64String(versioned[(comma + 1)..], given, out var written)
                    || written != expected.Length)
                {
                    continue;
                }

                if (CryptographicOperations.FixedTimeEquals(expected, given[..written]))
                {
                    return new WebhookMessage(id, timestamp);
                }
            }
        }

        throw new WebhookVerificationException("no matching signature found");
    }

    /// <summary>
    /// Signs a body as AgentMessage does: the <c>webhook-signature</c> value (<c>v1,&lt;base64&gt;</c>)
    /// for <paramref name="messageId"/> at <paramref name="timestamp"/> (whole unix seconds). For testing
    /// a receiver, or for a service that sends Standard Webhooks itself.
    /// </summary>
    /// <param name="secret">The signing secret (<c>whsec_...</c>).</param>
    /// <param name="messageId">The <c>webhook-id</c> value.</param>
    /// <param name="timestamp">The signing time; the <c>webhook-timestamp</c> value is its unix seconds.</param>
    /// <param name="body">The exact body sent.</param>
    /// <returns>The <c>webhook-signature</c> header value.</returns>
    /// <exception cref="ArgumentException">The secret is not <c>whsec_</c> followed by base64.</exception>
    public static string Sign(string secret, string messageId, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var content = SignedContent(messageId, timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), body);
        return $"{SignatureVersion},{Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), content))}";
    }

    private static byte[] SignedContent(string id, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return content;
    }

    private static byte[] KeyOf(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            var key = Convert.FromBase64String(encoded);
            return key.Length > 0 ? key : throw new ArgumentException("A webhook secret must not be empty.", nameof(secret));
        }
        catch (FormatException exception)
        {
            throw new ArgumentException("A webhook secret is \"whsec_\" followed by base64.", nameof(secret), exception);
        }
    }

    private static TValue? Find<TValue>(IEnumerable<KeyValuePair<string, TValue>> headers, string name)
    {
        foreach (var (key, value) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return default;
    }
}
