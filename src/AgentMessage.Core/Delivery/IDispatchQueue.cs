using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// The durable schedule between an accepted send and the carrier (docs/API.md section 9). A message
/// joins it in the same atomic step that stores it (<see cref="ISendAdmission"/>), due at once or
/// at its <c>send_at</c>, so nothing answered 202 can miss it. Each organization has its own
/// schedule, high priority before default; a dispatcher takes turns between organizations, so one
/// organization's backlog never delays another's messages.
/// </summary>
/// <remarks>
/// A take honours each sender number's pace across every instance without waiting: a due message
/// whose number has no free slot yet is given the number's next slot as its new due time and left
/// in the schedule, and the take goes on to the next message. A taken message is leased to the
/// taker; a lease that runs out (its instance died, or lost the carrier's answer) puts the message
/// back in the schedule, and the carrier recognises the resubmission by its
/// <see cref="CarrierReference"/>.
/// </remarks>
public interface IDispatchQueue
{
    /// <summary>The organizations that may have messages to dispatch.</summary>
    ValueTask<IReadOnlyList<string>> OrganizationsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="max"/> of the organization's due messages whose sender has a free slot,
    /// high priority first, each moved to <c>sending</c> (or left there, when reclaimed) and leased to
    /// the caller for <paramref name="lease"/>. Due messages past their validity fail with
    /// <c>expired_in_queue</c> instead; canceled or already-submitted ones just leave the schedule.
    /// </summary>
    ValueTask<DispatchBatch> TakeAsync(string organizationId, int max, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Records the carrier's answers (sent, or failed with its error code) and ends their
    /// leases; an answer with a retry time puts its message back on the schedule, due then.</summary>
    ValueTask CompleteAsync(string organizationId, IReadOnlyList<DispatchOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>Puts every message (of any organization) whose lease has run out back in the
    /// schedule, due now; returns how many.</summary>
    ValueTask<int> ReclaimAsync(CancellationToken cancellationToken);

    /// <summary>Takes a scheduled or queued message out of the schedule and moves it to
    /// <c>canceled</c>; any other message is left as it is.</summary>
    ValueTask<CancelOutcome> CancelAsync(string organizationId, string messageId, CancellationToken cancellationToken);

    /// <summary>Completes when new work may have arrived, or after <paramref name="timeout"/>.</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>For the queue gauges: how many messages of every organization are due and waiting
    /// for the carrier (not leased, not scheduled for later), and when the oldest of them fell due
    /// (its send_at, else its creation). A message canceled while in its lane may still be counted
    /// until a take drops it.</summary>
    ValueTask<QueueSnapshot> SnapshotAsync(CancellationToken cancellationToken);
}

/// <summary>What <see cref="IDispatchQueue.SnapshotAsync"/> saw.</summary>
/// <param name="Depth">Messages due and waiting.</param>
/// <param name="OldestDueAt">When the oldest of them fell due; null when none waits.</param>
public readonly record struct QueueSnapshot(long Depth, DateTimeOffset? OldestDueAt);

/// <summary>What one take handed over.</summary>
/// <param name="Messages">The taken messages, in <c>sending</c>, to submit.</param>
/// <param name="Expired">How many due messages failed with <c>expired_in_queue</c> instead.</param>
/// <param name="NextDueAt">When the organization's next message falls due (pace slot or
/// <c>send_at</c>), if any is left; the dispatcher need not look before then.</param>
public sealed record DispatchBatch(IReadOnlyList<Message> Messages, int Expired, DateTimeOffset? NextDueAt)
{
    public static DispatchBatch Empty { get; } = new([], 0, null);
}

/// <summary>The carrier's answer to one submission: <c>sent</c>, or <c>failed</c> with its error code;
/// or, with <paramref name="RetryAt"/>, refused for now: the message stays <c>sending</c> (it is not
/// terminal and was never accepted) and is due again at that time.</summary>
public readonly record struct DispatchOutcome(string MessageId, DeliveryStatus Status, string? ErrorCode, DateTimeOffset? RetryAt = null)
{
    /// <summary>A transient refusal: back on the schedule at <paramref name="at"/>, still <c>sending</c>.</summary>
    public static DispatchOutcome Retry(string messageId, DateTimeOffset at) => new(messageId, DeliveryStatus.Sending, null, at);
}

/// <summary>The result of a cancel: whether it canceled, and the message's status after it (null:
/// no such message).</summary>
public readonly record struct CancelOutcome(bool Canceled, DeliveryStatus? Status);
