using System.Collections.Concurrent;

namespace AgentMessage.Server.Delivery;

/// <summary>
/// This process's fan-out of status events to its open streams. Whatever learns of new events
/// (the in-memory status store directly; on Redis, the one reader loop per process) publishes
/// here. Each organization has one <see cref="StatusFeed"/>: publishing appends to its ring once,
/// whatever the number of streams, and wakes the streams, which each read what they have not sent.
/// </summary>
public sealed class StatusEventHub
{
    /// <summary>Events a stream may fall behind the newest before it must re-read the log.</summary>
    public const int DefaultRingCapacity = 1024;

    private readonly ConcurrentDictionary<string, StatusFeed> feeds = new(StringComparer.Ordinal);
    private readonly int ringCapacity;

    public StatusEventHub()
        : this(DefaultRingCapacity)
    {
    }

    public StatusEventHub(int ringCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ringCapacity, 1);
        this.ringCapacity = ringCapacity;
    }

    /// <summary>The organizations with at least one open stream here (the Redis reader reads only theirs).</summary>
    public IEnumerable<string> Organizations => feeds.Where(f => f.Value.SubscriberCount > 0).Select(f => f.Key);

    public int SubscriberCount => feeds.Values.Sum(f => f.SubscriberCount);

    /// <summary>Starts receiving the organization's events published from now on. Cancelling
    /// <paramref name="cancellationToken"/> wakes a waiting reader, which then throws.</summary>
    public StatusSubscription Subscribe(string organizationId, CancellationToken cancellationToken = default) =>
        feeds.GetOrAdd(organizationId, _ => new StatusFeed(ringCapacity)).Subscribe(cancellationToken);

    /// <summary>Hands events, oldest first, to every local stream of their organization. Costs one
    /// append per event; the streams are woken on the thread pool, so the publisher never waits for them.</summary>
    public void Publish(string organizationId, IReadOnlyList<StatusEvent> events)
    {
        if (events.Count > 0 && feeds.TryGetValue(organizationId, out var feed))
        {
            feed.Publish(events);
        }
    }
}
