using System.Collections.Concurrent;
using System.Threading.Channels;

namespace AgentMessage.Server.Delivery;

/// <summary>
/// This process's fan-out of status events to its open streams. Whatever learns of new events
/// (the in-memory status store directly; on Redis, the one reader loop per process) publishes
/// here; each StreamStatus call subscribes for its organization and gets a bounded channel.
/// </summary>
public sealed class StatusEventHub
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Subscription, byte>> subscribers = new(StringComparer.Ordinal);

    /// <summary>How many organizations have at least one open stream here (the Redis reader reads only theirs).</summary>
    public IEnumerable<string> Organizations => subscribers.Where(s => !s.Value.IsEmpty).Select(s => s.Key);

    public int SubscriberCount => subscribers.Values.Sum(s => s.Count);

    public Subscription Subscribe(string organizationId, int capacity = 1024)
    {
        var subscription = new Subscription(this, organizationId, Channel.CreateBounded<StatusEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        }));
        subscribers.GetOrAdd(organizationId, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    /// <summary>Hands events to every local stream of their organization. A stream whose buffer is
    /// full is marked lagging and re-reads from the log, so a slow client never blocks the others.</summary>
    public void Publish(string organizationId, IReadOnlyList<StatusEvent> events)
    {
        if (!subscribers.TryGetValue(organizationId, out var subscriptions))
        {
            return;
        }

        foreach (var subscription in subscriptions.Keys)
        {
            foreach (var statusEvent in events)
            {
                if (!subscription.Writer.TryWrite(statusEvent))
                {
                    subscription.Lagged = true;
                    break;
                }
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        if (subscribers.TryGetValue(subscription.OrganizationId, out var subscriptions))
        {
            subscriptions.TryRemove(subscription, out _);
        }
    }

    public sealed class Subscription(StatusEventHub hub, string organizationId, Channel<StatusEvent> channel) : IDisposable
    {
        public string OrganizationId { get; } = organizationId;

        public ChannelReader<StatusEvent> Reader => channel.Reader;

        internal ChannelWriter<StatusEvent> Writer => channel.Writer;

        /// <summary>Set when events were dropped for this stream; it must catch up from the log.</summary>
        public volatile bool Lagged;

        public void Dispose()
        {
            hub.Remove(this);
            channel.Writer.TryComplete();
        }
    }
}
