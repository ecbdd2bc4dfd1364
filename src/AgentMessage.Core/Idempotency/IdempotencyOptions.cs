using System.Security.Cryptography;

namespace AgentMessage.Core.Idempotency;

public sealed class IdempotencyOptions
{
    public const string Section = "AgentMessage:Idempotency";

    /// <summary>How long a success is replayed.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a reservation lasts if its request never finishes (its instance died).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Validates a client's key: 1 to 255 printable ASCII characters.</summary>
    public static string? KeyProblem(string key) =>
        key.Length is 0 or > 255 || key.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E)
            ? "must be 1..255 printable ASCII characters"
            : null;

    public static string NewOwner() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
