using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Infrastructure.InMemory.Compliance;

/// <summary>
/// Keyword replies taken in this process, for the embedded default, expiring on the injected clock
/// as Redis expires its keys. An expired entry is replaced when a call meets it, and every 1,024
/// takes a sweep drops the rest.
/// </summary>
public sealed class InMemoryKeywordReplyLimiter(TimeProvider time) : IKeywordReplyLimiter
{
    private const int SweepEvery = 1024;

    private readonly Lock gate = new();
    private readonly Dictionary<(string Organization, string Person, KeywordAction Action), DateTimeOffset> until = [];
    private int takes;

    public ValueTask<bool> TryTakeAsync(string organizationId, string person, KeywordAction action, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(organizationId);
        ArgumentException.ThrowIfNullOrEmpty(person);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        var now = time.GetUtcNow();
        var key = (organizationId, person, action);
        lock (gate)
        {
            if (until.TryGetValue(key, out var end) && end > now)
            {
                return ValueTask.FromResult(false);
            }

            until[key] = now + window;
            if (++takes % SweepEvery == 0)
            {
                foreach (var expired in until.Where(e => e.Value <= now).Select(e => e.Key).ToList())
                {
                    until.Remove(expired);
                }
            }

            return ValueTask.FromResult(true);
        }
    }
}
