using System.Text.Json.Serialization;

namespace AgentMessage.Core.Messaging;

/// <summary>A message as stored: immutable, replaced whole when its status changes.
/// <see cref="Media"/> is what the customer sent; <see cref="CarrierMediaUrls"/> is where the carrier
/// fetches each item (presigned, valid for days), never shown to the customer. <see cref="SendAt"/>
/// is when a scheduled message falls due; <see cref="ValidUntil"/> is when a message that has not
/// been handed to the carrier by then fails with <c>expired_in_queue</c> instead (none: never).
/// An inbound message (<see cref="Direction"/>) is stored in status received: <see cref="From"/> is
/// the person who wrote, <see cref="To"/> the organization's number. <see cref="InReplyTo"/> is the
/// inbound message an outbound one answers. Both are left out of the stored form while they have
/// their defaults, so a send is stored exactly as before they existed, and a message stored then
/// reads as outbound.
/// <see cref="EventId"/> is the id of the event that set <see cref="Status"/>, when the store knows
/// it (a status stream's first line for the message carries it); it is not part of the stored JSON.
/// <see cref="TraceParent"/> is the W3C trace context of the send that accepted the message (none
/// when tracing is off), kept with it so its dispatch can link to that trace; never shown to callers.</summary>
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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] MessageDirection Direction = MessageDirection.Outbound,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] string? InReplyTo = null,
    [property: JsonIgnore] string? EventId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] string? TraceParent = null);

/// <summary>Times as messages keep them.</summary>
internal static class MessageTimes
{
    /// <summary><paramref name="now"/> in UTC, to the millisecond: what the stores keep and the
    /// faces show, so a message read back equals the one created.</summary>
    public static DateTimeOffset Stamp(DateTimeOffset now) =>
        new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
