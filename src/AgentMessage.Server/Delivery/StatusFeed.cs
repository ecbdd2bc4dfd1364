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

    internal PublishedEvent(long sequence, StatusEvent statusEvent)
    {
        Sequence = sequence;
        Event = statusEvent;
        EventIds.TryParse(statusEvent.EventId, out var position);
        Position = position;
    }

    /// <summary>Position in this process's feed of the organization (not the event id).</summary>
    public long Sequence { get; }

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

    /// <summary>The subscription fell so far behind that events it did not read were overwritten:
    /// it must catch up from the event log (and <see cref="StatusSubscription.SkipToNewest"/>).</summary>
    Lagged,
}

/// <summary>
/// One organization's live events in this process: a fixed ring of the newest published events
/// and the streams subscribed to them. Publishing appends to the ring (under a lock, O(1)) and
/// queues one wake-up pass; every stream keeps its own read position, so a slow stream never holds
/// up a fast one, and one that falls more than the ring's length behind is told it lagged.
/// </summary>
internal sealed class StatusFeed(int capacity)
{
    /// <summary>Below this many streams, one thread wakes them all.</summary>
    private const int StreamsPerWaker = 256;

    private readonly Lock gate = new();
    private readonly PublishedEvent?[] ring = new PublishedEvent?[capacity];
    private readonly Stack<int> freeSlots = new();
    private StatusSubscription?[] subscribers = new StatusSubscription?[8];
    private int usedSlots;
    private int subscriberCount;
    private long published;
    private int wakeQueued;

    public int SubscriberCount => Volatile.Read(ref subscriberCount);

    /// <summary>How many events were ever published here: the sequence the next one gets.</summary>
    public long Published => Volatile.Read(ref published);

    public StatusSubscription Subscribe(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            // Under the lock that appends: an event is either before this subscription's start
            // (in the log it will catch up from) or after it and seen by the next wake-up pass.
            var slot = freeSlots.Count > 0 ? freeSlots.Pop() : usedSlots++;
            if (slot == subscribers.Length)
            {
                var grown = new StatusSubscription?[subscribers.Length * 2];
                subscribers.CopyTo(grown, 0);
                Volatile.Write(ref subscribers, grown);
            }

            var subscription = new StatusSubscription(this, slot, published, cancellationToken);
            Volatile.Write(ref subscribers[slot], subscription);
            subscriberCount++;
            return subscription;
        }
    }

    public void Unsubscribe(StatusSubscription subscription)
    {
        lock (gate)
        {
            if (subscribers[subscription.Slot] == subscription)
            {
                Volatile.Write(ref subscribers[subscription.Slot], null);
                freeSlots.Push(subscription.Slot);
                subscriberCount--;
            }
        }
    }

    public void Publish(IReadOnlyList<StatusEvent> events)
    {
        lock (gate)
        {
            foreach (var statusEvent in events)
            {
                ring[published % ring.Length] = new PublishedEvent(published, statusEvent);
                Volatile.Write(ref published, published + 1);
            }
        }

        // One pass at a time: events published while a pass is queued are read by that pass's streams.
        if (Interlocked.Exchange(ref wakeQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static feed => feed.WakeAll(), this, preferLocal: false);
        }
    }

    /// <summary>The event with this sequence, or null when it has been overwritten.</summary>
    public PublishedEvent? At(long sequence)
    {
        var entry = Volatile.Read(ref ring[sequence % ring.Length]);
        return entry?.Sequence == sequence ? entry : null;
    }

    /// <summary>
    /// Wakes every waiting stream. A stream resumes on the waking thread (see <see cref="WakeSignal"/>)
    /// and writes what it has not sent before the next stream is woken, so the writes for one event
    /// run on a few threads in turn rather than as thousands of thread-pool items contending for
    /// their connections' locks. Large sets are split into contiguous ranges, one per core.
    /// </summary>
    private void WakeAll()
    {
        Volatile.Write(ref wakeQueued, 0);
        var snapshot = Volatile.Read(ref subscribers);
        var length = Math.Min(snapshot.Length, Volatile.Read(ref usedSlots));
        var wakers = Math.Clamp(length / StreamsPerWaker, 1, Environment.ProcessorCount);
        var size = (length + wakers - 1) / wakers;
        for (var start = size; start < length; start += size)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static range => Wake(range.Snapshot, range.Start, range.End), (Snapshot: snapshot, Start: start, End: Math.Min(length, start + size)), preferLocal: false);
        }

        Wake(snapshot, 0, Math.Min(length, size));
    }

    private static void Wake(StatusSubscription?[] snapshot, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            Volatile.Read(ref snapshot[i])?.Wake();
        }
    }
}

/// <summary>
/// One stream's place in its organization's <see cref="StatusFeed"/>: it reads the events published
/// after it subscribed, in order, at its own pace. Single reader: one stream, one subscription.
/// </summary>
public sealed class StatusSubscription : IDisposable
{
    private readonly StatusFeed feed;
    private readonly WakeSignal signal = new();
    private readonly CancellationToken cancellationToken;
    private readonly CancellationTokenRegistration cancellation;
    private long next;

    internal StatusSubscription(StatusFeed feed, int slot, long start, CancellationToken cancellationToken)
    {
        this.feed = feed;
        Slot = slot;
        next = start;
        this.cancellationToken = cancellationToken;

        // The client going away wakes the stream (on the thread pool, not the canceller's thread).
        cancellation = cancellationToken.UnsafeRegister(static state => ThreadPool.UnsafeQueueUserWorkItem(
            static subscription => subscription.signal.Wake(), (StatusSubscription)state!, preferLocal: false), this);
    }

    internal int Slot { get; }

    /// <summary>True while events published since the last read are waiting.</summary>
    public bool HasUnread => next < feed.Published;

    public FeedRead TryRead(out PublishedEvent? published)
    {
        published = null;
        if (next >= feed.Published)
        {
            return FeedRead.Nothing;
        }

        published = feed.At(next);
        if (published is null)
        {
            return FeedRead.Lagged;
        }

        next++;
        return FeedRead.Event;
    }

    /// <summary>After a lag: continue from the newest event (the caller re-reads the log up to it).</summary>
    public void SkipToNewest() => next = feed.Published;

    /// <summary>Completes when events may have been published since the last read (at once when
    /// they already were), or when the subscription's cancellation token fires: check it after.</summary>
    public ValueTask WaitAsync()
    {
        cancellationToken.ThrowIfCancellationRequested();
        return signal.WaitAsync();
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
