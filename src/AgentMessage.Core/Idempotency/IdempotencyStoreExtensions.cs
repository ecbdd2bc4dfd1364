using AgentMessage.Core.Refusals;

namespace AgentMessage.Core.Idempotency;

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
            IdempotencyStart.Mismatch => throw new RefusalException(RefusalKind.IdempotencyKeyReused),
            _ => throw InProgress(),
        };

    /// <summary>The answer to a twin of a request that is still running.</summary>
    public static RefusalException InProgress() => new(new Refusal(RefusalKind.IdempotencyInProgress) { RetryAfter = TimeSpan.FromSeconds(1) });
}
