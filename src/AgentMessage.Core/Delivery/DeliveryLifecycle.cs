using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// The delivery lifecycle (docs/API.md section 9), defined here once for every store: the order of
/// the statuses, which moves are allowed and which statuses are terminal. The Redis scripts are
/// built from it at start-up rather than restating it.
/// </summary>
public static class DeliveryLifecycle
{
    private const int FinalRank = 4;

    /// <summary>Every status, in lifecycle order.</summary>
    public static IReadOnlyList<DeliveryStatus> Statuses { get; } =
        [.. Enum.GetValues<DeliveryStatus>().OrderBy(Rank).ThenBy(status => status)];

    /// <summary>The status an accepted message starts in: scheduled when it names a future
    /// <c>send_at</c>, else queued.</summary>
    public static DeliveryStatus Initial(bool scheduled) => scheduled ? DeliveryStatus.Scheduled : DeliveryStatus.Queued;

    /// <summary>
    /// Position in the lifecycle: scheduled, queued, sending, sent, then one of the final statuses,
    /// which share the last rank. Received (inbound messages only) is final from the start.
    /// </summary>
    public static int Rank(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Scheduled => 0,
        DeliveryStatus.Queued => 1,
        DeliveryStatus.Sending => 2,
        DeliveryStatus.Sent => 3,
        DeliveryStatus.Delivered or DeliveryStatus.Undelivered or DeliveryStatus.Failed or DeliveryStatus.Canceled or DeliveryStatus.Received => FinalRank,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a delivery status"),
    };

    public static bool IsTerminal(DeliveryStatus status) => Rank(status) == FinalRank;

    /// <summary>Waiting for dispatch: not yet handed to the carrier, and still cancelable.</summary>
    public static bool IsWaiting(DeliveryStatus status) => status is DeliveryStatus.Scheduled or DeliveryStatus.Queued;

    /// <summary>
    /// scheduled -> queued -> sending -> sent -> delivered | undelivered; failed from any
    /// non-terminal state; canceled only while waiting (scheduled or queued). A scheduled message
    /// may go straight to sending when it falls due. A receipt may skip ahead (a "delivered" can
    /// arrive before our "sent" is recorded) but nothing moves backwards, so late and duplicate
    /// receipts change nothing. Received belongs to inbound messages alone: they are stored in it and
    /// never move, and nothing moves into it.
    /// </summary>
    public static bool CanMove(DeliveryStatus from, DeliveryStatus to) =>
        !IsTerminal(from) && Rank(to) > Rank(from) && to != DeliveryStatus.Received && (to != DeliveryStatus.Canceled || IsWaiting(from));

    /// <summary>
    /// Whether a message in <paramref name="status"/> starts (or restarts) its retention: sent or
    /// final. Scheduled, queued and sending messages are still in the service's hands and are kept.
    /// </summary>
    public static bool StartsRetention(DeliveryStatus status) => Rank(status) >= Rank(DeliveryStatus.Sent);
}
