using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>Why a receipt's signature headers were refused.</summary>
public enum ReceiptVerification
{
    Valid,

    /// <summary>Missing or malformed headers, or a signature that does not match.</summary>
    BadSignature,

    /// <summary>A well-formed timestamp outside the replay window.</summary>
    Stale,
}

/// <summary>A request whose signature was verified: its identity (the MAC it carries, in hex) and how
/// much longer it would be accepted, so that a replay ledger remembers it exactly that long.</summary>
public sealed record SignedRequest(string Signature, TimeSpan AcceptableFor);

/// <summary>
/// Signs and verifies receipts: <c>X-Carrier-Timestamp: &lt;unix seconds&gt;</c> and
/// <c>X-Carrier-Signature: v1=&lt;lower-case hex HMAC-SHA256(secret, timestamp + "." + raw body)&gt;</c>.
/// The signature header may list several comma-separated <c>v1=</c> values (a carrier rotating
/// secrets); one match is enough. Comparisons are constant-time. The secret never leaves this class.
/// </summary>
public sealed class CarrierReceiptSigner
{
    public const string TimestampHeader = "X-Carrier-Timestamp";
    public const string SignatureHeader = "X-Carrier-Signature";
    public const string SchemePrefix = "v1=";

    private readonly byte[] key;
    private readonly TimeSpan window;
    private readonly TimeProvider time;

    public CarrierReceiptSigner(IOptions<CarrierReceiptOptions> options, TimeProvider time, ILogger<CarrierReceiptSigner> logger)
    {
        this.time = time;
        window = options.Value.ReplayWindow;
        if (string.IsNullOrEmpty(options.Value.ReceiptSecret))
        {
            key = RandomNumberGenerator.GetBytes(32);
            IsRandomSecret = true;
            logger.LogWarning(
                "{Section}:ReceiptSecret is not set: carrier receipts are signed with a random secret of this process, so no receipt posted from outside this process is accepted",
                CarrierReceiptOptions.Section);
        }
        else
        {
            key = Encoding.UTF8.GetBytes(options.Value.ReceiptSecret);
        }
    }

    /// <summary>True when no secret was configured and this process made one up.</summary>
    public bool IsRandomSecret { get; }

    /// <summary>The two headers' values for <paramref name="body"/> signed at <paramref name="at"/>.</summary>
    public (string Timestamp, string Signature) Sign(ReadOnlySpan<byte> body, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return (timestamp, SchemePrefix + Convert.ToHexStringLower(Mac(timestamp, body)));
    }

    public (string Timestamp, string Signature) Sign(ReadOnlySpan<byte> body) => Sign(body, time.GetUtcNow());

    public ReceiptVerification Verify(string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body) =>
        Verify(timestampHeader, signatureHeader, body, out _);

    /// <summary>Verifies the headers and, when they are valid, says which signed request this is.</summary>
    /// <param name="request">When valid: the request's identity among all signed requests and how much
    /// longer its timestamp stays inside the replay window, for the replay ledger.</param>
    public ReceiptVerification Verify(string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, out SignedRequest? request)
    {
        request = null;
        if (string.IsNullOrEmpty(timestampHeader) || string.IsNullOrEmpty(signatureHeader) ||
            timestampHeader.Length > 19 ||
            !long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return ReceiptVerification.BadSignature;
        }

        var expected = Mac(timestampHeader, body);
        var matched = false;
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var range in signatureHeader.AsSpan().Split(','))
        {
            var candidate = signatureHeader.AsSpan(range).Trim();
            if (candidate.StartsWith(SchemePrefix, StringComparison.Ordinal) &&
                candidate.Length == SchemePrefix.Length + (2 * HMACSHA256.HashSizeInBytes) &&
                Convert.FromHexString(candidate[SchemePrefix.Length..], given, out _, out var written) == OperationStatus.Done &&
                written == given.Length)
            {
                matched |= CryptographicOperations.FixedTimeEquals(given, expected);
            }
        }

        if (!matched)
        {
            return ReceiptVerification.BadSignature;
        }

        var now = time.GetUtcNow();
        var age = now.ToUnixTimeSeconds() - seconds;
        if (Math.Abs((double)age) > window.TotalSeconds)
        {
            return ReceiptVerification.Stale;
        }

        // The expected MAC, not the header: a header may list other values (or the same in upper
        // case) around the one that matched, and each spelling is still the same request. It is
        // refused as stale once the clock's whole second passes timestamp + window.
        var acceptableUntil = DateTimeOffset.FromUnixTimeSeconds(seconds) + window + TimeSpan.FromSeconds(1);
        request = new SignedRequest(Convert.ToHexStringLower(expected), acceptableUntil - now);
        return ReceiptVerification.Valid;
    }

    private byte[] Mac(string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[Encoding.ASCII.GetByteCount(timestamp) + 1 + body.Length];
        var at = Encoding.ASCII.GetBytes(timestamp, signed);
        signed[at] = (byte)'.';
        body.CopyTo(signed.AsSpan(at + 1));
        return HMACSHA256.HashData(key, signed);
    }
}
