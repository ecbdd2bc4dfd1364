namespace AgentMessage.Server.Messaging;

public enum MessageChannel
{
    Sms,
    Mms,
}

public enum MessagePriority
{
    Default,
    High,
}

public enum DeliveryStatus
{
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
}

/// <summary>A message as stored: immutable, replaced whole when its status changes.
/// <see cref="Media"/> is what the customer sent; <see cref="CarrierMediaUrls"/> is where the carrier
/// fetches each item (presigned, valid for days), never shown to the customer.</summary>
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
    IReadOnlyList<string>? CarrierMediaUrls = null);

/// <summary>What a caller asked to send, before any rule is checked.</summary>
public sealed record SendMessageCommand(
    string From,
    string To,
    string Text,
    IReadOnlyList<string> Media,
    MessagePriority? Priority,
    string? Tag);

/// <summary>Filters and paging of a message listing.</summary>
public sealed record MessageQuery(string? Tag, DeliveryStatus? Status, int PageSize, string? PageToken);

public sealed record MessagePage(IReadOnlyList<Message> Messages, string? NextPageToken);
