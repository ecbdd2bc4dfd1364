using System.Threading.Channels;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Infrastructure.InMemory.Delivery;

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
