using System.Security.Cryptography;
using System.Text;
using AgentMessage.Server.Errors;

namespace AgentMessage.Server.Idempotency;

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
/// Idempotency keys (CONTRACT.md section 6): reserve with an owner token and a lease that expires if
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

public static class IdempotencyStoreExtensions
{
    /// <summary>
    /// Starts an idempotent request: the claim to settle it with, or the stored payload to answer
    /// with instead. A request in progress elsewhere, or a key used for another request, throws.
    /// </summary>
    public static async ValueTask<(IdempotencyClaim? Claim, string? Replay)> ClaimOrReplayAsync(
        this IIdempotencyStore store, IdempotencyScope scope, string fingerprint, CancellationToken cancellationToken) =>
        await store.BeginAsync(scope, fingerprint, cancellationToken) switch
        {
            IdempotencyStart.Began began => (began.Claim, null),
            IdempotencyStart.Replay replay => (null, replay.Payload),
            IdempotencyStart.Mismatch => throw new ApiException(ErrorCode.IdempotencyKeyReused),
            _ => throw InProgress(),
        };

    /// <summary>The answer to a twin of a request that is still running.</summary>
    public static ApiException InProgress() => new(new ApiError(ErrorCode.IdempotencyInProgress) { RetryAfter = TimeSpan.FromSeconds(1) });
}

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

/// <summary>Keys held in this process, for the embedded default.</summary>
public sealed class InMemoryIdempotencyStore(TimeProvider time, Microsoft.Extensions.Options.IOptions<IdempotencyOptions> options) : IIdempotencyStore
{
    private readonly Dictionary<(string, IdempotentOperation, string), Entry> entries = [];

    public ValueTask<IdempotencyStart> BeginAsync(IdempotencyScope scope, string fingerprint, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (entries)
        {
            var key = Key(scope);
            if (entries.TryGetValue(key, out var entry) && entry.ExpiresAt > now)
            {
                return ValueTask.FromResult<IdempotencyStart>(
                    entry.Fingerprint != fingerprint ? new IdempotencyStart.Mismatch()
                    : entry.Payload is { } payload ? new IdempotencyStart.Replay(payload)
                    : new IdempotencyStart.InProgress());
            }

            var claim = new IdempotencyClaim(scope, fingerprint, IdempotencyOptions.NewOwner());
            entries[key] = new Entry(fingerprint, claim.Owner, null, now + options.Value.Lease);
            if (entries.Count % 1024 == 0)
            {
                Sweep(now);
            }

            return ValueTask.FromResult<IdempotencyStart>(new IdempotencyStart.Began(claim));
        }
    }

    public ValueTask<bool> CommitAsync(IdempotencyClaim claim, string payload, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Commit(claim, payload));

    public ValueTask ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken)
    {
        Release(claim);
        return ValueTask.CompletedTask;
    }

    public bool Commit(IdempotencyClaim claim, string payload)
    {
        lock (entries)
        {
            var committed = IsOwnerLocked(claim);
            if (committed)
            {
                entries[Key(claim.Scope)] = new Entry(claim.Fingerprint, null, payload, time.GetUtcNow() + options.Value.Retention);
            }

            return committed;
        }
    }

    public void Release(IdempotencyClaim claim)
    {
        lock (entries)
        {
            if (IsOwnerLocked(claim))
            {
                entries.Remove(Key(claim.Scope));
            }
        }
    }

    /// <summary>Whether the claim still holds its lease (callers hold no lock).</summary>
    public bool IsOwner(IdempotencyClaim claim)
    {
        lock (entries)
        {
            return IsOwnerLocked(claim);
        }
    }

    private bool IsOwnerLocked(IdempotencyClaim claim) =>
        entries.TryGetValue(Key(claim.Scope), out var entry) && entry.Owner == claim.Owner && entry.ExpiresAt > time.GetUtcNow();

    private void Sweep(DateTimeOffset now)
    {
        foreach (var key in entries.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
        {
            entries.Remove(key);
        }
    }

    private static (string, IdempotentOperation, string) Key(IdempotencyScope scope) => (scope.OrganizationId, scope.Operation, scope.Key);

    private sealed record Entry(string Fingerprint, string? Owner, string? Payload, DateTimeOffset ExpiresAt);
}
