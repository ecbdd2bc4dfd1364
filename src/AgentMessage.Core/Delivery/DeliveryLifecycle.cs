using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>The delivery lifecycle: which moves are allowed. Terminal states never change again.</summary>
public static class DeliveryLifecycle
{
    public static bool IsTerminal(DeliveryStatus status) => status is DeliveryStatus.Delivered or DeliveryStatus.Undelivered or DeliveryStatus.Failed;

    /// <summary>
    /// queued -> sending -> sent -> delivered | undelivered, and failed from any non-terminal state.
    /// A receipt may skip ahead (a "delivered" can arrive before our "sent" is recorded) but nothing
    /// moves backwards, so late and duplicate receipts change nothing.
    /// </summary>
    public static bool CanMove(DeliveryStatus from, DeliveryStatus to) =>
        !IsTerminal(from) && Rank(to) > Rank(from);

    private static int Rank(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => 0,
        DeliveryStatus.Sending => 1,
        DeliveryStatus.Sent => 2,
        _ => 3,
    };
}
