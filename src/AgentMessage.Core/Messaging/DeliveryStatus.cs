namespace AgentMessage.Core.Messaging;

/// <summary>Where a message is in its lifecycle (docs/API.md section 9; the moves are
/// <c>Delivery.DeliveryLifecycle</c>'s). New members go at the end: stored names, not positions,
/// are what storage keeps, but the proto enum follows the same order.</summary>
public enum DeliveryStatus
{
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,

    /// <summary>Accepted with a <c>send_at</c> in the future; dispatched at that time.</summary>
    Scheduled,

    /// <summary>Canceled before it was handed to the carrier; never submitted.</summary>
    Canceled,

    /// <summary>An inbound message, received from the carrier: the only status inbound messages
    /// have, and one no outbound message ever reaches.</summary>
    Received,
}
