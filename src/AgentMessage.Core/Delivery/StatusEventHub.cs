using System.Collections.Concurrent;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// This process's fan-out of status events to its open streams. Whatever learns of new events
/// (the in-memory status store directly; on Redis, the one reader loop per process) publishes
/// here. Each organization has one <see cref="StatusFeed"/>, which hands each event to the streams
/// whose filter can want it and wakes them.
/// </summary>
public sealed class StatusEventHub
{
    /// <summary>Events a stream may leave unread before it is marked lagging and must re-read the log.</summary>
    public const int DefaultCapacity = 1024;

    private readonly ConcurrentDictionary<string, StatusFeed> feeds = new(StringComparer.Ordinal);
    private readonly int capacity;
    private Action<string>[] taps = [];

    public StatusEventHub()
        : this(DefaultCapacity)
    {
    }

    public StatusEventHub(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.capacity = capacity;
    }

    /// <summary>The organizations with at least one open stream here (the Redis reader reads only theirs).</summary>
    public IEnumerable<string> Organizations => feeds.Where(f => f.Value.SubscriberCount > 0).Select(f => f.Key);

    public int SubscriberCount => feeds.Values.Sum(f => f.SubscriberCount);

    /// <summary>Starts receiving the organization's events published from now on that may match
    /// <paramref name="filter"/> (the reader still checks). Cancelling
    /// <paramref name="cancellationToken"/> wakes a waiting reader.</summary>
    public StatusSubscription Subscribe(string organizationId, FeedFilter filter, CancellationToken cancellationToken = default) =>
        feeds.GetOrAdd(organizationId, _ => new StatusFeed(capacity)).Subscribe(filter, cancellationToken);

    /// <summary>Calls <paramref name="tap"/> with the organization of every publication, whoever
    /// subscribes: a wake-up for readers of the log itself (the webhook fan-out). It runs on the
    /// publisher's thread, under the log's lock in memory: it must only signal.</summary>
    public void AddTap(Action<string> tap)
    {
        lock (feeds)
        {
            taps = [.. taps, tap];
        }
    }

    /// <summary>Hands events, oldest first, to every local stream of their organization that may
    /// want them: one lock-free hand-off per such stream. The streams are woken and write on the
    /// thread pool, so the publisher never waits for them.</summary>
    public void Publish(string organizationId, IReadOnlyList<StatusEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        foreach (var tap in Volatile.Read(ref taps))
        {
            tap(organizationId);
        }

        if (feeds.TryGetValue(organizationId, out var feed))
        {
            feed.Publish(events);
        }
    }
}
