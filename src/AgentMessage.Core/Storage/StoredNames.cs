using AgentMessage.Core.Compliance;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Storage;

/// <summary>
/// The one definition of how each stored enum is spelled in storage. These strings are data: they
/// are in Redis today (message hashes and JSON, event streams, key names), so they never change
/// when a C# member is renamed.
/// </summary>
public static class StoredNames
{
    public static StoredNameMap<DeliveryStatus> DeliveryStatus { get; } = new(
        (Messaging.DeliveryStatus.Queued, "Queued"),
        (Messaging.DeliveryStatus.Sending, "Sending"),
        (Messaging.DeliveryStatus.Sent, "Sent"),
        (Messaging.DeliveryStatus.Delivered, "Delivered"),
        (Messaging.DeliveryStatus.Undelivered, "Undelivered"),
        (Messaging.DeliveryStatus.Failed, "Failed"),
        (Messaging.DeliveryStatus.Scheduled, "Scheduled"),
        (Messaging.DeliveryStatus.Canceled, "Canceled"),
        (Messaging.DeliveryStatus.Received, "Received"));

    public static StoredNameMap<MessageDirection> MessageDirection { get; } = new(
        (Messaging.MessageDirection.Outbound, "Outbound"),
        (Messaging.MessageDirection.Inbound, "Inbound"));

    public static StoredNameMap<MessagePriority> MessagePriority { get; } = new(
        (Messaging.MessagePriority.Default, "Default"),
        (Messaging.MessagePriority.High, "High"));

    public static StoredNameMap<MessageChannel> MessageChannel { get; } = new(
        (Messaging.MessageChannel.Sms, "Sms"),
        (Messaging.MessageChannel.Mms, "Mms"));

    public static StoredNameMap<TextEncoding> TextEncoding { get; } = new(
        (Messaging.TextEncoding.Gsm7, "Gsm7"),
        (Messaging.TextEncoding.Ucs2, "Ucs2"));

    public static StoredNameMap<LineType> LineType { get; } = new(
        (Compliance.LineType.Unknown, "Unknown"),
        (Compliance.LineType.Mobile, "Mobile"),
        (Compliance.LineType.Landline, "Landline"),
        (Compliance.LineType.Voip, "Voip"),
        (Compliance.LineType.TollFree, "TollFree"));

    public static StoredNameMap<RateLimitedOperation> RateLimitedOperation { get; } = new(
        (RateLimiting.RateLimitedOperation.Send, "Send"),
        (RateLimiting.RateLimitedOperation.MediaUpload, "MediaUpload"));

    public static StoredNameMap<IdempotentOperation> IdempotentOperation { get; } = new(
        (Idempotency.IdempotentOperation.SendMessage, "SendMessage"),
        (Idempotency.IdempotentOperation.CreateMediaUpload, "CreateMediaUpload"));
}
