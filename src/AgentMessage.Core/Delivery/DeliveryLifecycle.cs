using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// The delivery lifecycle (docs/API.md section 9), defined here once for every store: the order of
/// the statuses, which moves are allowed and which statuses are terminal. The Redis scripts are
/// built from it at start-up rather than restating it.
/// </summary>
public static class DeliveryLifecycle
{
    /// <summary>Every status, in lifecycle order.</summary>
    public static IReadOnlyList<DeliveryStatus> Statuses { get; } = Enum.GetValues<DeliveryStatus>();

    /// <summary>The status every accepted message starts in.</summary>
    public static DeliveryStatus Initial => DeliveryStatus.Queued;

    /// <summary>
    /// Position in the lifecycle: queued, then sending, then sent, then one of the final statuses,
    /// which share the last rank.
    /// </summary>
    public static int Rank(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => 0,
        DeliveryStatus.Sending => 1,
        DeliveryStatus.Sent => 2,
        DeliveryStatus.Delivered or DeliveryStatus.Undelivered or DeliveryStatus.Failed => FinalRank,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a delivery status"),
    };

    public static bool IsTerminal(DeliveryStatus status) => Rank(status) == FinalRank;

    /// <summary>
    /// queued -> sending -> sent -> delivered | undelivered, and failed from any non-terminal state.
    /// A receipt may skip ahead (a "delivered" can arrive before our "sent" is recorded) but nothing
    /// moves backwards, so late and duplicate receipts change nothing.
    /// </summary>
    public static bool CanMove(DeliveryStatus from, DeliveryStatus to) =>
        !IsTerminal(from) && Rank(to) > Rank(from);

    /// <summary>
    /// Whether a message in <paramref name="status"/> starts (or restarts) its retention: sent or
    /// final. Queued and sending messages are still in the service's hands and are kept.
    /// </summary>
    public static bool StartsRetention(DeliveryStatus status) => Rank(status) >= Rank(DeliveryStatus.Sent);

    private const int FinalRank = 3;
}
