using AgentMessage.Core.Idempotency;

namespace AgentMessage.Server.Infrastructure.InMemory.Idempotency;

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
