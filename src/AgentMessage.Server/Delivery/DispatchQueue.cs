using System.Threading.Channels;
using AgentMessage.Server.Messaging;

namespace AgentMessage.Server.Delivery;

/// <summary>A message waiting to be handed to the carrier. <see cref="EntryId"/> names the queue entry to acknowledge.</summary>
public sealed record DispatchItem(string EntryId, string OrganizationId, string MessageId, MessagePriority Priority);

/// <summary>
/// The durable queue between an accepted send and the carrier. Entries are written in the same
/// atomic step that stores the message (ISendAdmission), so nothing answered 202 can miss the
/// queue; an entry taken but never acknowledged (its instance died) is reclaimed by another.
/// </summary>
public interface IDispatchQueue
{
    /// <summary>Up to <paramref name="max"/> entries, high priority first; empty when there is no work.</summary>
    ValueTask<IReadOnlyList<DispatchItem>> TakeAsync(int max, CancellationToken cancellationToken);

    ValueTask AcknowledgeAsync(DispatchItem item, CancellationToken cancellationToken);

    /// <summary>Entries other consumers took and held longer than <paramref name="idle"/>, now this consumer's.</summary>
    ValueTask<IReadOnlyList<DispatchItem>> ReclaimAsync(TimeSpan idle, int max, CancellationToken cancellationToken);

    /// <summary>Completes when there may be new work, or after <paramref name="timeout"/>.</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>The embedded default: two in-process queues, high before default. A process that dies
/// takes its in-memory messages with it, so there is nothing to reclaim.</summary>
public sealed class InMemoryDispatchQueue : IDispatchQueue
{
    private readonly Channel<DispatchItem> high = Channel.CreateUnbounded<DispatchItem>();
    private readonly Channel<DispatchItem> normal = Channel.CreateUnbounded<DispatchItem>();
    private long sequence;

    public void Enqueue(Message message)
    {
        var item = new DispatchItem(Interlocked.Increment(ref sequence).ToString(System.Globalization.CultureInfo.InvariantCulture), message.OrganizationId, message.Id, message.Priority);
        (message.Priority == MessagePriority.High ? high : normal).Writer.TryWrite(item);
    }

    public ValueTask<IReadOnlyList<DispatchItem>> TakeAsync(int max, CancellationToken cancellationToken)
    {
        var items = new List<DispatchItem>(max);
        while (items.Count < max && (high.Reader.TryRead(out var item) || normal.Reader.TryRead(out item)))
        {
            items.Add(item);
        }

        return ValueTask.FromResult<IReadOnlyList<DispatchItem>>(items);
    }

    public ValueTask AcknowledgeAsync(DispatchItem item, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<IReadOnlyList<DispatchItem>> ReclaimAsync(TimeSpan idle, int max, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<DispatchItem>>([]);

    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await Task.WhenAny(high.Reader.WaitToReadAsync(timer.Token).AsTask(), normal.Reader.WaitToReadAsync(timer.Token).AsTask());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }
}
