using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

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
