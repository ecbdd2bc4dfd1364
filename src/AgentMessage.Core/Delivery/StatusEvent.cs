using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// A change of a message's status (docs/API.md section 9). <see cref="EventId"/> orders an
/// organization's events: "milliseconds-sequence", the format of Redis stream ids, on every store.
/// The arrival of an inbound message is an event too: status received, <see cref="Direction"/> inbound.
/// </summary>
public sealed record StatusEvent(
    string EventId,
    string OrganizationId,
    string MessageId,
    DeliveryStatus Status,
    string? ErrorCode,
    DateTimeOffset OccurredAt,
    string? Tag,
    MessageDirection Direction = MessageDirection.Outbound);
