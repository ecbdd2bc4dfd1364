namespace AgentMessage.Core.Delivery;

/// <summary>
/// A live event as every stream of this process receives it: one instance per publish, shared by
/// all streams, so that a transport can encode it once (<see cref="Encoded{T}"/>) instead of once
/// per stream.
/// </summary>
public sealed class PublishedEvent
{
    private object? encoded;

    public PublishedEvent(StatusEvent statusEvent)
    {
        Event = statusEvent;
        EventIds.TryParse(statusEvent.EventId, out var position);
        Position = position;
    }

    public StatusEvent Event { get; }

    /// <summary>The event id, parsed once for every stream's ordering checks.</summary>
    public (long Ms, long Seq) Position { get; }

    /// <summary>The event in a transport's form: made by the first stream that asks, reused by the
    /// others. Whatever is stored here is shared between threads and must not be changed.</summary>
    public T Encoded<T>(Func<StatusEvent, T> encode)
        where T : class
    {
        if (Volatile.Read(ref encoded) is T done)
        {
            return done;
        }

        var made = encode(Event);
        return Interlocked.CompareExchange(ref encoded, made, null) as T ?? made;
    }
}

/// <summary>What <see cref="StatusSubscription.TryRead"/> found.</summary>
public enum FeedRead
{
    /// <summary>Nothing new since the last read: wait.</summary>
    Nothing,

    /// <summary>The next event.</summary>
    Event,

    /// <summary>The subscription fell so far behind that events were dropped for it: it must
    /// <see cref="StatusSubscription.Resume"/> and catch up from the event log.</summary>
    Lagged,
}

/// <summary>
/// One organization's live events in this process and the streams subscribed to them. Streams are
/// indexed by what they watch (their message ids, else their tag, else everything), so publishing
/// an event costs one hand-off per stream that can want it, not per open stream: a receipt for one
/// message touches the one stream watching it. Each stream has its own lock-free inbox of shared
/// <see cref="PublishedEvent"/>s, so a slow stream never holds up a fast one; one that lets
/// <c>capacity</c> events pile up is marked lagging and catches up from the log instead.
/// Publishing happens under the feed's lock (so every inbox gets the log's order) and queues one
/// wake-up pass for the streams it gave events to.
/// </summary>
internal sealed class StatusFeed(int capacity)
{
    /// <summary>Below this many streams to wake, one thread wakes them all.</summary>
    private const int StreamsPerWaker = 256;

    private readonly Lock gate = new();
    private readonly HashSet<StatusSubscription> everything = [];
    private readonly Dictionary<string, HashSet<StatusSubscription>> byMessage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<StatusSubscription>> byTag = new(StringComparer.Ordinal);
    private List<StatusSubscription> toWake = [];
    private int subscriberCount;
    private bool wakeQueued;

    public int SubscriberCount => Volatile.Read(ref subscriberCount);

    public StatusSubscription Subscribe(FeedFilter filter, CancellationToken cancellationToken)
    {
        var subscription = new StatusSubscription(this, filter, cancellationToken);
        lock (gate)
        {
            foreach (var set in IndexSets(filter, create: true))
            {
                set!.Add(subscription);
            }

            subscriberCount++;
        }

        return subscription;
    }

    public void Unsubscribe(StatusSubscription subscription)
    {
        lock (gate)
        {
            var removed = false;
            foreach (var set in IndexSets(subscription.Filter, create: false))
            {
                removed |= set?.Remove(subscription) ?? false;
            }

            if (removed)
            {
                subscriberCount--;
            }

            foreach (var key in subscription.Filter.MessageIds)
            {
                if (byMessage.TryGetValue(key, out var set) && set.Count == 0)
                {
                    byMessage.Remove(key);
                }
            }

            if (subscription.Filter.Tag is { } tag && byTag.TryGetValue(tag, out var tagged) && tagged.Count == 0)
            {
                byTag.Remove(tag);
            }
        }
    }

    public void Publish(IReadOnlyList<StatusEvent> events)
    {
        bool queue;
        lock (gate)
        {
            foreach (var statusEvent in events)
            {
                var published = new PublishedEvent(statusEvent);
                Deliver(published, everything);
                if (byMessage.TryGetValue(statusEvent.MessageId, out var watching))
                {
                    Deliver(published, watching);
                }

                if (statusEvent.Tag is { } tag && byTag.TryGetValue(tag, out var tagged))
                {
                    Deliver(published, tagged);
                }
            }

            queue = toWake.Count > 0 && !wakeQueued;
            wakeQueued |= queue;
        }

        if (queue)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static feed => feed.WakeAll(), this, preferLocal: false);
        }
    }

    /// <summary>After a lag, under the lock so that no publish is halfway through this inbox.</summary>
    public void Resume(StatusSubscription subscription)
    {
        lock (gate)
        {
            subscription.ClearInbox();
        }
    }

    private void Deliver(PublishedEvent published, HashSet<StatusSubscription> subscriptions)
    {
        foreach (var subscription in subscriptions)
        {
            if (subscription.Offer(published, capacity) && !subscription.WakeListed)
            {
                subscription.WakeListed = true;
                toWake.Add(subscription);
            }
        }
    }

    /// <summary>A filter's index entries: its message ids' sets, else its tag's, else the set of all.</summary>
    private IEnumerable<HashSet<StatusSubscription>?> IndexSets(FeedFilter filter, bool create)
    {
        if (filter.MessageIds.Count > 0)
        {
            foreach (var id in filter.MessageIds)
            {
                yield return Set(byMessage, id, create);
            }
        }
        else if (filter.Tag is { } tag)
        {
            yield return Set(byTag, tag, create);
        }
        else
        {
            yield return everything;
        }
    }

    private static HashSet<StatusSubscription>? Set(Dictionary<string, HashSet<StatusSubscription>> index, string key, bool create)
    {
        if (!index.TryGetValue(key, out var set) && create)
        {
            index[key] = set = [];
        }

        return set;
    }

    /// <summary>
    /// Wakes the streams that were given events. A stream resumes on the waking thread (see
    /// <see cref="WakeSignal"/>) and writes what it has before the next one is woken, so the writes
    /// for one event run in turn on a few threads rather than as thousands of thread-pool items
    /// contending for their connections' locks. Many streams are split into one range per core.
    /// </summary>
    private void WakeAll()
    {
        List<StatusSubscription> batch;
        lock (gate)
        {
            batch = toWake;
            toWake = [];
            wakeQueued = false;
            foreach (var subscription in batch)
            {
                subscription.WakeListed = false;
            }
        }

        var count = batch.Count;
        var wakers = Math.Clamp(count / StreamsPerWaker, 1, Environment.ProcessorCount);
        var size = (count + wakers - 1) / wakers;
        for (var start = size; start < count; start += size)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                static range => Wake(range.Batch, range.Start, range.End),
                (Batch: batch, Start: start, End: Math.Min(count, start + size)),
                preferLocal: false);
        }

        Wake(batch, 0, Math.Min(count, size));
    }

    private static void Wake(List<StatusSubscription> batch, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            batch[i].Wake();
        }
    }
}
