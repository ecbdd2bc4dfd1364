using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace AgentMessage.Server.Delivery;

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

/// <summary>What a subscription wants: events of these messages, else of this tag, else all.</summary>
public sealed record FeedFilter(IReadOnlyCollection<string> MessageIds, string? Tag)
{
    public static readonly FeedFilter All = new([], null);
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

    public int Capacity => capacity;

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

/// <summary>
/// One stream's inbox in its organization's <see cref="StatusFeed"/>: the events published after it
/// subscribed that its filter may want, in order. One reader (the stream), one writer at a time
/// (the feed, under its lock).
/// </summary>
public sealed class StatusSubscription : IDisposable
{
    private readonly StatusFeed feed;
    private readonly ConcurrentQueue<PublishedEvent> inbox = new();
    private readonly WakeSignal signal = new();
    private readonly CancellationToken cancellationToken;
    private readonly CancellationTokenRegistration cancellation;
    private int pending;
    private volatile bool lagged;

    internal StatusSubscription(StatusFeed feed, FeedFilter filter, CancellationToken cancellationToken)
    {
        this.feed = feed;
        Filter = filter;
        this.cancellationToken = cancellationToken;

        // The client going away wakes the stream (on the thread pool, not the canceller's thread).
        cancellation = cancellationToken.UnsafeRegister(static state => ThreadPool.UnsafeQueueUserWorkItem(
            static subscription => subscription.signal.Wake(), (StatusSubscription)state!, preferLocal: false), this);
    }

    public FeedFilter Filter { get; }

    /// <summary>Guarded by the feed's lock: already in the feed's list of streams to wake.</summary>
    internal bool WakeListed { get; set; }

    /// <summary>True while events are waiting to be read (or the stream lagged).</summary>
    public bool HasUnread => lagged || Volatile.Read(ref pending) > 0;

    public FeedRead TryRead(out PublishedEvent? published)
    {
        if (lagged)
        {
            published = null;
            return FeedRead.Lagged;
        }

        if (!inbox.TryDequeue(out published))
        {
            return FeedRead.Nothing;
        }

        Interlocked.Decrement(ref pending);
        return FeedRead.Event;
    }

    /// <summary>After a lag: drops what is left and takes events again from now on (the caller
    /// then re-reads the log, which holds everything that was dropped).</summary>
    public void Resume() => feed.Resume(this);

    /// <summary>Completes when events may have arrived since the last read (at once when they
    /// already had), or when the subscription's cancellation token fires: check it after.</summary>
    public ValueTask WaitAsync()
    {
        cancellationToken.ThrowIfCancellationRequested();
        return signal.WaitAsync();
    }

    /// <summary>Called by the feed under its lock. False when the event was not taken (lagging).</summary>
    internal bool Offer(PublishedEvent published, int capacity)
    {
        if (lagged)
        {
            return false;
        }

        if (Volatile.Read(ref pending) >= capacity)
        {
            lagged = true;
            return true; // wake it, so that it notices
        }

        inbox.Enqueue(published);
        Interlocked.Increment(ref pending);
        return true;
    }

    /// <summary>Called by the feed under its lock.</summary>
    internal void ClearInbox()
    {
        inbox.Clear();
        Volatile.Write(ref pending, 0);
        lagged = false;
    }

    internal void Wake() => signal.Wake();

    public void Dispose()
    {
        cancellation.Dispose();
        feed.Unsubscribe(this);
    }
}

/// <summary>
/// An auto-reset signal for one waiter and any number of wakers, without a lock or an allocation
/// per wait. A wake while nobody waits is kept for the next wait. The waiter's continuation runs on
/// the waking thread (the feed's wake-up pass), deliberately: see <see cref="StatusFeed"/>.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Woken = 2;

    private ManualResetValueTaskSourceCore<bool> core;
    private int state;

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref state, Idle, Woken) == Woken)
        {
            return ValueTask.CompletedTask;
        }

        core.Reset();
        if (Interlocked.CompareExchange(ref state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, core.Version);
        }

        // Woken between the two checks: only the waiter leaves Woken, so this is safe.
        Volatile.Write(ref state, Idle);
        return ValueTask.CompletedTask;
    }

    public void Wake()
    {
        while (true)
        {
            switch (Volatile.Read(ref state))
            {
                case Woken:
                    return;
                case Idle when Interlocked.CompareExchange(ref state, Woken, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref state, Idle, Waiting) == Waiting:
                    core.SetResult(true);
                    return;
            }
        }
    }

    public void GetResult(short token) => core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
