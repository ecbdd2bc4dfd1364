using System.Collections.Concurrent;

namespace AgentMessage.Core.Delivery;

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
