using System.Security.Cryptography;
using System.Text;

namespace AgentMessage.Core.Idempotency;

/// <summary>The RPCs that honour Idempotency-Key; each is its own key space per organization.</summary>
public enum IdempotentOperation
{
    SendMessage,
    CreateMediaUpload,
}

/// <summary>One organization's key for one operation.</summary>
public sealed record IdempotencyScope(string OrganizationId, IdempotentOperation Operation, string Key)
{
    /// <summary>Client keys are up to 255 characters of anything printable; stores use this digest.</summary>
    public string KeyDigest { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(Key)));
}

/// <summary>A reservation of a key by one request: only the <see cref="Owner"/> may commit or release it.</summary>
public sealed record IdempotencyClaim(IdempotencyScope Scope, string Fingerprint, string Owner);

/// <summary>What beginning an idempotent request found.</summary>
public abstract record IdempotencyStart
{
    /// <summary>Nobody had the key: it is reserved for this request until the lease runs out.</summary>
    public sealed record Began(IdempotencyClaim Claim) : IdempotencyStart;

    /// <summary>The same request already succeeded: answer with its stored response.</summary>
    public sealed record Replay(string Payload) : IdempotencyStart;

    /// <summary>The same request is running elsewhere.</summary>
    public sealed record InProgress : IdempotencyStart;

    /// <summary>The key was used for a different request.</summary>
    public sealed record Mismatch : IdempotencyStart;
}

/// <summary>
/// Idempotency keys (docs/API.md section 6): reserve with an owner token and a lease that expires if
/// the instance dies; commit by compare-and-set on the owner, so a worker whose lease ran out cannot
/// overwrite its successor; only successes are stored, and kept for the retention period.
/// </summary>
public interface IIdempotencyStore
{
    ValueTask<IdempotencyStart> BeginAsync(IdempotencyScope scope, string fingerprint, CancellationToken cancellationToken);

    /// <summary>Stores the response of a success; false when the claim's lease was lost.</summary>
    ValueTask<bool> CommitAsync(IdempotencyClaim claim, string payload, CancellationToken cancellationToken);

    /// <summary>Gives the key up after a failure, so that a retry runs again.</summary>
    ValueTask ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken);
}
