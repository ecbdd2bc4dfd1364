namespace AgentMessage.Core.Messaging;

/// <summary>A message as stored: immutable, replaced whole when its status changes.
/// <see cref="Media"/> is what the customer sent; <see cref="CarrierMediaUrls"/> is where the carrier
/// fetches each item (presigned, valid for days), never shown to the customer. <see cref="SendAt"/>
/// is when a scheduled message falls due; <see cref="ValidUntil"/> is when a message that has not
/// been handed to the carrier by then fails with <c>expired_in_queue</c> instead (none: never).
/// <see cref="EventId"/> is the id of the event that set <see cref="Status"/>, when the store knows
/// it (a status stream's first line for the message carries it); it is not part of the stored JSON.</summary>
public sealed record Message(
    string Id,
    string OrganizationId,
    string From,
    string To,
    string Text,
    MessageChannel Channel,
    MessagePriority Priority,
    DeliveryStatus Status,
    string? Tag,
    IReadOnlyList<string> Media,
    TextEncoding Encoding,
    int Segments,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? ErrorCode = null,
    IReadOnlyList<string>? CarrierMediaUrls = null,
    DateTimeOffset? SendAt = null,
    DateTimeOffset? ValidUntil = null,
    [property: System.Text.Json.Serialization.JsonIgnore] string? EventId = null);
