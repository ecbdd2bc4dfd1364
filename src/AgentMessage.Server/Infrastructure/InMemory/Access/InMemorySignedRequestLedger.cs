using AgentMessage.Core.Access;

namespace AgentMessage.Server.Infrastructure.InMemory.Access;

/// <summary>
/// Signatures remembered in this process, for the embedded default, expiring on the injected clock
/// as Redis expires its keys. An expired entry is dropped when a call meets it, and every 1,024
/// additions a sweep drops the rest.
/// </summary>
public sealed class InMemorySignedRequestLedger(TimeProvider time) : ISignedRequestLedger
{
    private const int SweepEvery = 1024;

    private readonly Lock gate = new();
    private readonly Dictionary<string, DateTimeOffset> forgetAt = new(StringComparer.Ordinal);
    private int additions;

    public ValueTask<bool> ContainsAsync(string signature, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(signature);
        lock (gate)
        {
            return ValueTask.FromResult(IsLive(signature, time.GetUtcNow()));
        }
    }

    public ValueTask<bool> AddAsync(string signature, TimeSpan keep, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(signature);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(keep, TimeSpan.Zero);
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (IsLive(signature, now))
            {
                return ValueTask.FromResult(false);
            }

            forgetAt[signature] = now + keep;
            if (++additions % SweepEvery == 0)
            {
                foreach (var expired in forgetAt.Where(e => e.Value <= now).Select(e => e.Key).ToList())
                {
                    forgetAt.Remove(expired);
                }
            }

            return ValueTask.FromResult(true);
        }
    }

    private bool IsLive(string signature, DateTimeOffset now)
    {
        if (!forgetAt.TryGetValue(signature, out var at))
        {
            return false;
        }

        if (at > now)
        {
            return true;
        }

        forgetAt.Remove(signature);
        return false;
    }
}
